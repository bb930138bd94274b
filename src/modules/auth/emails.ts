import type { AppDeps } from '../../app/deps.js';
import { renderMail } from '../../email/templates.js';
import type { JobResult } from '../../jobs/worker.js';
import { deriveToken } from '../../lib/crypto.js';
import { findEmailVerificationById, findUserById } from './repo.js';

export const VERIFY_PURPOSE = 'verify-email';

export async function verificationEmail(deps: AppDeps, payload: { verificationId: string; nonce: string }): Promise<JobResult> {
  const v = await findEmailVerificationById(deps.db, payload.verificationId);
  if (!v || v.usedAt || v.tokenNonce !== payload.nonce) return { skip: 'verification no longer open' };
  const user = await findUserById(deps.db, v.userId);
  if (!user || user.emailVerifiedAt) return { skip: 'already verified' };
  const token = deriveToken(deps.keys.tokens, VERIFY_PURPOSE, v.id, v.tokenNonce);
  return {
    mail: renderMail({
      to: v.email,
      subject: 'Verify your email address for Gatehouse',
      heading: 'Confirm your email address',
      paragraphs: [`Hi ${user.name},`, 'Confirm that this address is yours so that invitations sent to it show up in Gatehouse.'],
      action: { label: 'Verify email address', url: new URL(`/verify-email/${token}`, deps.config.APP_URL).toString() },
      footer: 'If you did not create a Gatehouse account, you can ignore this email.',
    }),
  };
}

export async function accountExistsEmail(deps: AppDeps, payload: { userId: string }): Promise<JobResult> {
  const user = await findUserById(deps.db, payload.userId);
  if (!user) return { skip: 'user gone' };
  return {
    mail: renderMail({
      to: user.email,
      subject: 'Someone tried to sign up with your email',
      heading: 'You already have a Gatehouse account',
      paragraphs: [`Hi ${user.name},`, 'Someone (probably you) tried to create a new Gatehouse account with this address. You already have one: sign in instead.'],
      action: { label: 'Sign in', url: new URL('/sign-in', deps.config.APP_URL).toString() },
      footer: 'If this was not you, no action is needed; your account is unchanged.',
    }),
  };
}
