import { hash, verify } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { DomainError } from '../../http/errors.js';

/** OWASP's argon2id recommendation: m=19 MiB, t=2, p=1. `2` is Algorithm.Argon2id (a const enum, gotcha 18). */
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | null = null;
/** Spends the same time as a real check when there is no account, so timing does not tell. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('gatehouse-timing-equaliser');
  await verifyPassword(await dummyHash, password);
  return false;
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

let strengthChecker: ZxcvbnFactory | null = null;
function checker(): ZxcvbnFactory {
  strengthChecker ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  });
  return strengthChecker;
}

/** zxcvbn's "safely unguessable" level: common, breached-list and keyboard-walk passwords score lower. */
export const MIN_PASSWORD_SCORE = 3;

/**
 * NIST 800-63B style policy: long enough (≥ 12), not one repeated character, not the account's
 * own email or name, and not guessable (zxcvbn-ts with the common and English dictionaries,
 * which include the most common breached passwords).
 */
export async function checkPasswordPolicy(password: string, context: { email?: string; name?: string } = {}): Promise<void> {
  const problems: string[] = [];
  if ([...password].length < PASSWORD_MIN_LENGTH) problems.push(`Use at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`Use at most ${PASSWORD_MAX_LENGTH} characters`);
  if (/^(.)\1*$/.test(password)) problems.push('Do not repeat a single character');
  const lower = password.toLowerCase();
  if (context.email && (lower === context.email || lower === context.email.split('@')[0])) problems.push('Do not use your email address');
  if (problems.length === 0) {
    const userInputs = [context.email, context.email?.split('@')[0], context.name, 'gatehouse'].filter((v): v is string => !!v);
    const result = await checker().check(password, userInputs);
    if (result.score < MIN_PASSWORD_SCORE) {
      problems.push(result.feedback.warning ?? 'This password is too easy to guess', ...result.feedback.suggestions.slice(0, 2));
    }
  }
  if (problems.length) throw new DomainError('weak_password', problems.join('; '), { errors: problems.map((message) => ({ path: 'body.password', message })) });
}
