import QRCode from 'qrcode';
import type { Ctx } from '../../app/deps.js';
import type { Executor } from '../../db/client.js';
import { DomainError } from '../../http/errors.js';
import { decryptSecret, encryptSecret } from '../../lib/crypto.js';
import { createHmac } from 'node:crypto';
import { enqueue } from '../../jobs/outbox.js';
import { recordActivity } from '../activity/record.js';
import { verifyPassword } from '../auth/passwords.js';
import * as authRepo from '../auth/repo.js';
import { issueSession, type IssuedSession } from '../auth/sessions.js';
import { userNeedsDeviceApproval } from '../members/repo.js';
import { MAX_DEVICES, trustDevice } from './devices.js';
import * as repo from './repo.js';
import { matchingStep, newTotpSecret, otpauthUri } from './totp.js';

export const RECOVERY_CODE_COUNT = 10;
/** Wrong second-factor attempts allowed on one pending sign-in before the password step must be repeated. */
export const MAX_MFA_ATTEMPTS = 5;

const CROCKFORD = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

function newRecoveryCode(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += CROCKFORD[bytes[i]! % CROCKFORD.length];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/** Recovery codes are peppered with the server key before hashing, so a stolen table cannot be brute-forced offline. */
function recoveryCodeHash(key: Buffer, code: string): string {
  return createHmac('sha256', key).update(`recovery\u0000${code.toUpperCase().replace(/[^A-Z0-9]/g, '')}`).digest('hex');
}

export async function mfaStatus(ctx: Ctx) {
  const totp = await repo.findTotp(ctx.db, ctx.userId!);
  return {
    enabled: !!totp?.confirmedAt,
    enabledAt: totp?.confirmedAt ?? null,
    recoveryCodesRemaining: totp?.confirmedAt ? await repo.countUnusedRecoveryCodes(ctx.db, ctx.userId!) : 0,
  };
}

/** Starts (or restarts) TOTP enrolment: a fresh 160-bit secret, stored encrypted, shown with a QR code. */
export async function startTotpEnrolment(ctx: Ctx) {
  const user = (await authRepo.findUserById(ctx.db, ctx.userId!))!;
  const existing = await repo.findTotp(ctx.db, user.id);
  if (existing?.confirmedAt) throw new DomainError('mfa_already_enabled', 'Turn MFA off first to enrol a new authenticator');
  const secret = newTotpSecret(ctx.random.bytes(20));
  await repo.upsertPendingTotp(ctx.db, user.id, encryptSecret(ctx.keys.secrets, secret), ctx.clock.now());
  const uri = otpauthUri(secret, user.email);
  return { secret, otpauthUri: uri, qrCodeDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
}

async function issueRecoveryCodes(tx: Executor, ctx: Ctx, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode(ctx.random.bytes(10)));
  await repo.replaceRecoveryCodes(tx, userId, codes.map((c) => ({ id: ctx.random.uuid(), codeHash: recoveryCodeHash(ctx.keys.tokens, c) })), ctx.clock.now());
  return codes;
}

/** Confirms enrolment with a first valid code; that code is spent (it cannot also sign in). */
export async function confirmTotpEnrolment(ctx: Ctx, code: string) {
  return ctx.db.transaction(async (tx) => {
    const userId = ctx.userId!;
    const totp = await repo.findTotp(tx, userId);
    if (!totp) throw new DomainError('conflict', 'Start the enrolment first');
    if (totp.confirmedAt) throw new DomainError('mfa_already_enabled');
    const now = ctx.clock.now();
    const step = matchingStep(decryptSecret(ctx.keys.secrets, totp.secretEncrypted), code, now);
    if (step === null || !(await repo.consumeStep(tx, userId, step, now))) throw new DomainError('invalid_mfa_code');
    const recoveryCodes = await issueRecoveryCodes(tx, ctx, userId);
    await enqueue(tx, ctx, [{ kind: 'email.security_notice', payload: { userId, notice: 'mfa_enabled' } }]);
    await recordActivity(tx, ctx, [{ type: 'auth.mfa_enabled', subjectType: 'user', subjectId: userId }]);
    return { recoveryCodes };
  });
}

export type SecondFactor = { code?: string | undefined; recoveryCode?: string | undefined };

/**
 * Checks a TOTP code (each step usable once) or an unused recovery code. A replayed code is
 * refused and recorded, and the account owner is told (T-MFA-03).
 */
export async function checkSecondFactor(tx: Executor, ctx: Ctx, userId: string, factor: SecondFactor): Promise<boolean> {
  const totp = await repo.findTotp(tx, userId);
  if (!totp?.confirmedAt) return false;
  const now = ctx.clock.now();
  if (factor.code) {
    const step = matchingStep(decryptSecret(ctx.keys.secrets, totp.secretEncrypted), factor.code, now);
    if (step === null) return false;
    if (await repo.consumeStep(tx, userId, step)) return true;
    await recordActivity(tx, { ...ctx, userId }, [{ type: 'auth.mfa_replay_rejected', subjectType: 'user', subjectId: userId }]);
    await enqueue(tx, ctx, [{ kind: 'email.security_notice', payload: { userId, notice: 'totp_replay' } }]);
    return false;
  }
  if (factor.recoveryCode) {
    const used = await repo.useRecoveryCode(tx, userId, recoveryCodeHash(ctx.keys.tokens, factor.recoveryCode), now);
    if (used) await recordActivity(tx, { ...ctx, userId }, [{ type: 'auth.recovery_code_used', subjectType: 'user', subjectId: userId }]);
    return used;
  }
  return false;
}

/**
 * The second sign-in step. Success replaces the pending session with a new one (new token);
 * too many wrong codes end the pending session, so the password step must be repeated.
 */
export async function completeMfaSignIn(ctx: Ctx, sessionId: string, input: SecondFactor & { trustDevice?: boolean | undefined; deviceName?: string | undefined }) {
  const userId = ctx.userId!;
  const outcome = await ctx.db.transaction(async (tx) => {
    const ok = await checkSecondFactor(tx, ctx, userId, input);
    const now = ctx.clock.now();
    if (!ok) {
      const attempts = await authRepo.countFailedMfa(tx, sessionId);
      if (attempts >= MAX_MFA_ATTEMPTS) await authRepo.revokeSession(tx, sessionId, now);
      await recordActivity(tx, ctx, [{ type: 'auth.mfa_failed', subjectType: 'user', subjectId: userId, data: { attempts } }]);
      return { ok: false as const, locked: attempts >= MAX_MFA_ATTEMPTS };
    }
    await authRepo.revokeSession(tx, sessionId, now);
    const session = await issueSession(tx, ctx, userId);
    let device: { token: string; status: string } | null = null;
    // A full device list must not turn a correct second factor into a failed sign-in.
    const deviceLimitReached = !!input.trustDevice && (await repo.countLiveDevices(tx, userId)) >= MAX_DEVICES;
    if (input.trustDevice && !deviceLimitReached) {
      const trusted = await trustDevice(tx, ctx, userId, { name: input.deviceName, approvalRequired: await userNeedsDeviceApproval(tx, userId) });
      device = { token: trusted.token, status: trusted.device.status };
    }
    await recordActivity(tx, ctx, [{ type: 'auth.signed_in', subjectType: 'user', subjectId: userId, data: { secondFactor: input.code ? 'totp' : 'recovery_code' } }]);
    return { ok: true as const, session, device, deviceLimitReached };
  });
  if (!outcome.ok) throw new DomainError(outcome.locked ? 'mfa_attempts_exceeded' : 'invalid_mfa_code');
  return outcome as { ok: true; session: IssuedSession; device: { token: string; status: string } | null; deviceLimitReached: boolean };
}

/** Re-authentication for factor changes: the password and a current second factor (T-MFA-06). */
async function reauthenticate(tx: Executor, ctx: Ctx, input: { password: string } & SecondFactor) {
  const user = (await authRepo.findUserById(tx, ctx.userId!))!;
  if (!(await verifyPassword(user.passwordHash, input.password))) throw new DomainError('reauth_required', 'Your password is not correct');
  if (!(await checkSecondFactor(tx, ctx, user.id, input))) throw new DomainError('reauth_required', 'Enter a current code from your authenticator');
  return user;
}

export async function disableMfa(ctx: Ctx, input: { password: string } & SecondFactor) {
  const result = await ctx.db.transaction(async (tx) => {
    const totp = await repo.findTotp(tx, ctx.userId!);
    if (!totp?.confirmedAt) return { error: 'mfa_not_enabled' as const };
    try {
      await reauthenticate(tx, ctx, input);
    } catch (err) {
      // The failed attempt (and a replay notice, if any) is kept: commit, then refuse.
      return { error: err instanceof DomainError ? err : new DomainError('reauth_required') };
    }
    await repo.deleteTotp(tx, ctx.userId!);
    // A trusted device must not outlive the factor it was trusted with.
    await repo.removeAllDevices(tx, ctx.userId!, ctx.clock.now());
    await enqueue(tx, ctx, [{ kind: 'email.security_notice', payload: { userId: ctx.userId!, notice: 'mfa_disabled' } }]);
    await recordActivity(tx, ctx, [{ type: 'auth.mfa_disabled', subjectType: 'user', subjectId: ctx.userId }]);
    return { error: null };
  });
  if (result.error === 'mfa_not_enabled') throw new DomainError('conflict', 'MFA is not turned on');
  if (result.error) throw result.error;
}

export async function regenerateRecoveryCodes(ctx: Ctx, input: { password: string } & SecondFactor) {
  const result = await ctx.db.transaction(async (tx) => {
    try {
      await reauthenticate(tx, ctx, input);
    } catch (err) {
      return { error: err instanceof DomainError ? err : new DomainError('reauth_required'), codes: null };
    }
    const codes = await issueRecoveryCodes(tx, ctx, ctx.userId!);
    await enqueue(tx, ctx, [{ kind: 'email.security_notice', payload: { userId: ctx.userId!, notice: 'recovery_codes_regenerated' } }]);
    await recordActivity(tx, ctx, [{ type: 'auth.recovery_codes_regenerated', subjectType: 'user', subjectId: ctx.userId }]);
    return { error: null, codes };
  });
  if (result.error) throw result.error;
  return { recoveryCodes: result.codes! };
}
