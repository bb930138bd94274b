import type { Ctx } from '../../app/deps.js';
import { HOUR } from '../../app/context.js';
import { DomainError } from '../../http/errors.js';
import { deriveToken, hashToken, randomToken } from '../../lib/crypto.js';
import { enqueue } from '../../jobs/outbox.js';
import { recordActivity } from '../activity/record.js';
import { VERIFY_PURPOSE } from './emails.js';
import { checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';
import * as repo from './repo.js';
import { issueSession, type IssuedSession } from './sessions.js';
import type { Executor } from '../../db/client.js';
import { deviceSkipsMfa } from '../mfa/devices.js';
import { findTotp, removeAllDevices } from '../mfa/repo.js';
import { recentEventTimes } from '../activity/repo.js';

export function presentUser(u: repo.UserRow) {
  return { id: u.id, email: u.email, name: u.name, familyName: u.familyName, emailVerified: u.emailVerifiedAt !== null, createdAt: u.createdAt };
}

/** Starts an email verification: a derived link goes out through the outbox (ADR 0002). */
export async function startEmailVerification(tx: Executor, ctx: Ctx, user: { id: string; email: string }): Promise<void> {
  const now = ctx.clock.now();
  const id = ctx.random.uuid();
  const nonce = randomToken((n) => ctx.random.bytes(n));
  const token = deriveToken(ctx.keys.tokens, VERIFY_PURPOSE, id, nonce);
  await repo.insertEmailVerification(tx, {
    id,
    userId: user.id,
    email: user.email,
    tokenNonce: nonce,
    tokenHash: hashToken(token),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ctx.config.EMAIL_VERIFICATION_HOURS * HOUR),
  });
  await enqueue(tx, ctx, [{ kind: 'email.verification', payload: { verificationId: id, nonce } }]);
}

/**
 * Self sign-up. The answer is the same whether or not the address already has an account
 * (no enumeration); the owner of an existing account gets an email instead.
 */
export async function signUp(ctx: Ctx, input: { email: string; password: string; name: string }): Promise<void> {
  await checkPasswordPolicy(input.password, { email: input.email });
  const existing = await repo.findUserByEmail(ctx.db, input.email);
  if (existing) {
    await verifyAgainstDummy(input.password);
    await ctx.db.transaction((tx) => enqueue(tx, ctx, [{ kind: 'email.account_exists', payload: { userId: existing.id } }]));
    return;
  }
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const user = await repo.insertUser(tx, { id: ctx.random.uuid(), email: input.email, name: input.name, passwordHash, createdAt: now, updatedAt: now });
    if (!user) {
      // A concurrent sign-up took the address between our check and insert.
      await enqueue(tx, ctx, [{ kind: 'email.account_exists', payload: { userId: (await repo.findUserByEmail(tx, input.email))!.id } }]);
      return;
    }
    await startEmailVerification(tx, ctx, user);
    await recordActivity(tx, { ...ctx, userId: user.id }, [{ type: 'auth.signed_up', subjectType: 'user', subjectId: user.id }]);
  });
}

/** Failed sign-ins per address allowed in this window before even the right password waits. */
export const FAILED_SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

/**
 * The per-account brute-force limit (T-RATE-01). Counted from the `auth.sign_in_failed` events
 * in the database, so it holds across instances and client IPs, counts only failures (people who
 * sign in often are never limited), and lifts by itself when the window passes (no lockout for good).
 */
async function enforceFailedSignInLimit(ctx: Ctx, user: repo.UserRow | undefined, email: string, now: Date): Promise<void> {
  const since = new Date(now.getTime() - FAILED_SIGN_IN_WINDOW_MS);
  const failures = user ? await recentEventTimes(ctx.db, `user:${user.id}`, 'auth.sign_in_failed', since) : await recentEventTimes(ctx.db, 'global', 'auth.sign_in_failed', since, email);
  const max = ctx.config.RATE_LIMIT_SIGN_IN_PER_ACCOUNT;
  if (failures.length < max) return;
  // The limit lifts when the oldest failure that still counts leaves the window.
  const freeAt = failures[failures.length - max]!.getTime() + FAILED_SIGN_IN_WINDOW_MS;
  throw new DomainError('rate_limited', 'Too many failed sign-ins for this account; try again later', { retryAfter: Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)) });
}

/**
 * Password sign-in. Unknown email, wrong password and an expired temporary password all give the
 * same error after the same work. A previous session presented with the request is revoked: the
 * token rotates on every sign-in. With MFA on, the session starts `mfa_pending` unless the
 * request comes from a device trusted since the current authenticator was enrolled.
 */
export async function signIn(
  ctx: Ctx,
  input: { email: string; password: string; previousSessionHash?: string | undefined; deviceToken?: string | undefined },
): Promise<{ user: repo.UserRow; session: IssuedSession; mfaRequired: boolean }> {
  const now = ctx.clock.now();
  const user = await repo.findUserByEmail(ctx.db, input.email);
  await enforceFailedSignInLimit(ctx, user, input.email, now);
  const ok = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  const tempPasswordExpired = !!user?.mustChangePassword && !!user.tempPasswordExpiresAt && user.tempPasswordExpiresAt <= now;
  if (!user || !ok || tempPasswordExpired) {
    await ctx.db.transaction((tx) =>
      recordActivity(tx, { ...ctx, userId: null }, [
        {
          type: 'auth.sign_in_failed',
          actorUserId: null,
          targetUserId: user?.id ?? null,
          data: user ? (tempPasswordExpired && ok ? { reason: 'temporary_password_expired' } : {}) : { email: input.email },
        },
      ]),
    );
    throw new DomainError('invalid_credentials');
  }
  const totp = await findTotp(ctx.db, user.id);
  // A device trusted before the current authenticator or the last password change no longer counts (T-MFA-08).
  const factorsChangedAt = totp?.confirmedAt && user.passwordChangedAt && user.passwordChangedAt > totp.confirmedAt ? user.passwordChangedAt : totp?.confirmedAt;
  const mfaRequired = !!factorsChangedAt && !(await deviceSkipsMfa(ctx.db, user.id, input.deviceToken, factorsChangedAt, now));
  const session = await ctx.db.transaction(async (tx) => {
    if (input.previousSessionHash) await repo.revokeSessionByHash(tx, input.previousSessionHash, now);
    const s = await issueSession(tx, ctx, user.id, mfaRequired ? 'mfa_pending' : 'active');
    // With a second step pending, `auth.signed_in` is recorded when it succeeds.
    if (!mfaRequired) await recordActivity(tx, { ...ctx, userId: user.id }, [{ type: 'auth.signed_in', subjectType: 'user', subjectId: user.id, data: totp?.confirmedAt ? { secondFactor: 'trusted_device' } : {} }]);
    return s;
  });
  return { user, session, mfaRequired };
}

export async function signOut(ctx: Ctx, sessionId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await repo.revokeSession(tx, sessionId, ctx.clock.now());
    await recordActivity(tx, ctx, [{ type: 'auth.signed_out', subjectType: 'user', subjectId: ctx.userId }]);
  });
}

export async function verifyEmail(ctx: Ctx, token: string): Promise<repo.UserRow> {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const v = await repo.redeemEmailVerification(tx, hashToken(token), now);
    if (!v) throw new DomainError('verification_link_invalid');
    const user = await repo.findUserById(tx, v.userId);
    // The link proves the address it was sent to; if the account moved on, it proves nothing now.
    if (!user || user.email !== v.email) throw new DomainError('verification_link_invalid');
    const updated = user.emailVerifiedAt ? user : (await repo.updateUser(tx, user.id, { emailVerifiedAt: now, updatedAt: now }))!;
    await recordActivity(tx, { ...ctx, userId: user.id }, [{ type: 'auth.email_verified', subjectType: 'user', subjectId: user.id }]);
    return updated;
  });
}

export async function resendVerification(ctx: Ctx): Promise<void> {
  const user = await repo.findUserById(ctx.db, ctx.userId!);
  if (!user || user.emailVerifiedAt) return;
  await ctx.db.transaction(async (tx) => {
    await startEmailVerification(tx, ctx, user);
    await recordActivity(tx, ctx, [{ type: 'auth.verification_sent', subjectType: 'user', subjectId: user.id }]);
  });
}

/** Changing the password ends every session, then opens a fresh one for this device. */
export async function changePassword(ctx: Ctx, input: { currentPassword: string; newPassword: string }): Promise<IssuedSession> {
  const user = (await repo.findUserById(ctx.db, ctx.userId!))!;
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) throw new DomainError('current_password_wrong');
  await checkPasswordPolicy(input.newPassword, { email: user.email, name: user.name });
  if (input.newPassword === input.currentPassword) throw new DomainError('weak_password', 'Choose a password different from the current one');
  const passwordHash = await hashPassword(input.newPassword);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    await repo.updateUser(tx, user.id, { passwordHash, passwordChangedAt: now, updatedAt: now });
    await repo.revokeAllSessions(tx, user.id, now);
    // A changed factor ends the trust placed in devices (T-MFA-08).
    await removeAllDevices(tx, user.id, now);
    const session = await issueSession(tx, ctx, user.id);
    await recordActivity(tx, ctx, [{ type: 'auth.password_changed', subjectType: 'user', subjectId: user.id }]);
    return session;
  });
}

export async function updateProfile(ctx: Ctx, input: { name: string }): Promise<repo.UserRow> {
  return (await repo.updateUser(ctx.db, ctx.userId!, { name: input.name, updatedAt: ctx.clock.now() }))!;
}

export const API_TOKEN_PREFIX = 'ghp_';

export async function createApiToken(ctx: Ctx, input: { name: string; expiresInDays?: number | undefined }) {
  const now = ctx.clock.now();
  const token = API_TOKEN_PREFIX + randomToken((n) => ctx.random.bytes(n));
  return ctx.db.transaction(async (tx) => {
    const row = await repo.insertApiToken(tx, {
      id: ctx.random.uuid(),
      userId: ctx.userId!,
      name: input.name,
      tokenHash: hashToken(token),
      tokenPrefix: token.slice(0, 10),
      createdAt: now,
      expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 24 * HOUR) : null,
    });
    await recordActivity(tx, ctx, [{ type: 'auth.api_token_created', subjectType: 'api_token', subjectId: row.id, data: { name: input.name } }]);
    return { row, token };
  });
}

export async function revokeApiToken(ctx: Ctx, id: string) {
  await ctx.db.transaction(async (tx) => {
    const row = await repo.revokeApiToken(tx, ctx.userId!, id, ctx.clock.now());
    if (!row) throw new DomainError('not_found');
    await recordActivity(tx, ctx, [{ type: 'auth.api_token_revoked', subjectType: 'api_token', subjectId: row.id }]);
  });
}

export const listApiTokens = (ctx: Ctx) => repo.listApiTokens(ctx.db, ctx.userId!);
export const findUser = (ctx: Ctx, id: string) => repo.findUserById(ctx.db, id);

export async function listSessions(ctx: Ctx, currentSessionId: string | null) {
  const rows = await repo.listLiveSessions(ctx.db, ctx.userId!, ctx.clock.now());
  return rows.map((r) => ({ id: r.id, createdAt: r.createdAt, lastSeenAt: r.lastSeenAt, expiresAt: r.expiresAt, ip: r.ip, userAgent: r.userAgent, current: r.id === currentSessionId }));
}

/** Ends one of your own sessions (a foreign or unknown id is a 404). */
export async function revokeOwnSession(ctx: Ctx, sessionId: string) {
  await ctx.db.transaction(async (tx) => {
    const revoked = await repo.revokeUserSession(tx, ctx.userId!, sessionId, ctx.clock.now());
    if (!revoked) throw new DomainError('not_found', 'Session not found');
    await recordActivity(tx, ctx, [{ type: 'auth.session_revoked', subjectType: 'user', subjectId: ctx.userId }]);
  });
}
