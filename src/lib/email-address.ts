import { domainToASCII } from 'node:url';
import { z } from 'zod';

/**
 * The one function that turns what a person typed into the address we store and compare.
 * NFKC folds compatibility characters (full-width letters, ligatures), the whole address is
 * lower-cased (every mail provider we integrate with treats local parts case-insensitively),
 * and the domain is stored in its ASCII (punycode) form so `bücher.test` and
 * `xn--bcher-kva.test` are one address. Look-alike letters from other scripts (Cyrillic `а`)
 * are NOT folded: they are different addresses, and the validator below rejects non-ASCII
 * local parts outright, so they can never shadow a Latin account.
 */
export function normalizeEmail(input: string): string {
  const folded = input.normalize('NFKC').trim().toLowerCase();
  const at = folded.lastIndexOf('@');
  if (at <= 0) return folded;
  const local = folded.slice(0, at);
  const domain = folded.slice(at + 1);
  const ascii = domainToASCII(domain);
  return `${local}@${ascii || domain}`;
}

const emailShape = z.email();

export type EmailCheck = { ok: true; email: string } | { ok: false; reason: 'invalid' };

/** Normalises then validates; control characters (CR/LF/NUL) and over-long input never pass. */
export function parseEmail(input: string): EmailCheck {
  if (input.length > 320 || /[\u0000-\u001f\u007f]/.test(input)) return { ok: false, reason: 'invalid' };
  const email = normalizeEmail(input);
  if (email.length > 254 || email.endsWith('.') || !emailShape.safeParse(email).success) return { ok: false, reason: 'invalid' };
  return { ok: true, email };
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/** Splits a pasted list (commas, semicolons, whitespace, newlines) into raw entries. */
export function splitEmailList(text: string): string[] {
  return text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

/** zod field for request bodies: validates and normalises in one step. */
export const emailField = z
  .string()
  .max(320)
  .transform((v, ctx) => {
    const r = parseEmail(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: 'Invalid email address' });
      return z.NEVER;
    }
    return r.email;
  });
