import type { Ctx } from '../../app/deps.js';
import { DAY } from '../../app/context.js';
import type { Executor } from '../../db/client.js';
import { hashToken, randomToken } from '../../lib/crypto.js';
import { insertSession } from './repo.js';

export interface IssuedSession {
  token: string;
  expiresAt: Date;
}

/**
 * A new opaque session: 256 random bits, only the SHA-256 stored. `mfa_pending` sessions can do
 * nothing but finish the second sign-in step (or sign out).
 */
export async function issueSession(tx: Executor, ctx: Ctx, userId: string, state: 'active' | 'mfa_pending' = 'active'): Promise<IssuedSession> {
  const now = ctx.clock.now();
  const token = randomToken((n) => ctx.random.bytes(n));
  const expiresAt = new Date(now.getTime() + ctx.config.SESSION_ABSOLUTE_DAYS * DAY);
  await insertSession(tx, {
    id: ctx.random.uuid(),
    tokenHash: hashToken(token),
    userId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: ctx.meta.ip ?? null,
    userAgent: ctx.meta.userAgent?.slice(0, 512) ?? null,
    state,
  });
  return { token, expiresAt };
}
