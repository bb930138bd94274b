import { and, eq, inArray, lte, or, isNull, lt, sql } from 'drizzle-orm';
import type { Ctx } from '../app/deps.js';
import type { Executor } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import { UNNEST_FROM_ROWS, unnestRows } from '../db/unnest.js';
import type { WriteBatch } from '../db/write-batch.js';

/** Jobs the outbox carries. Payloads hold ids and nonces, never a secret. */
export type OutboxJob =
  | { kind: 'email.invitation'; payload: { invitationId: string; nonce: string } }
  | { kind: 'email.verification'; payload: { verificationId: string; nonce: string } }
  | { kind: 'email.account_exists'; payload: { userId: string } }
  | { kind: 'email.security_notice'; payload: { userId: string; notice: SecurityNotice } }
  | { kind: 'email.device_code'; payload: { deviceId: string; issuedAt: string } };

export type SecurityNotice = 'mfa_enabled' | 'mfa_disabled' | 'recovery_codes_regenerated' | 'totp_replay';

export type OutboxKind = OutboxJob['kind'];
export type OutboxRow = typeof outbox.$inferSelect;

/**
 * Adds jobs in the caller's transaction: they exist only if the change commits. With a `batch`,
 * the insert goes out with the use case's other writes (sent by the caller).
 */
export async function enqueue(tx: Executor, ctx: Pick<Ctx, 'clock' | 'random'>, jobs: OutboxJob[], batch?: WriteBatch): Promise<void> {
  if (jobs.length === 0) return;
  const now = ctx.clock.now();
  const rows = jobs.map((j) => ({ id: ctx.random.uuid(), kind: j.kind, payload: j.payload, status: 'pending', attempts: 0, runAt: now, createdAt: now }));
  // A few rows: plain VALUES (cheaper to plan); many: one unnest statement whatever the count.
  const insert = rows.length <= UNNEST_FROM_ROWS ? tx.insert(outbox).values(rows) : tx.insert(outbox).select(unnestRows(outbox, rows));
  if (batch) batch.add('outbox', insert.returning({ id: outbox.id }));
  else await insert;
}

/**
 * Claims due jobs: one short statement with FOR UPDATE SKIP LOCKED, so N workers on N
 * instances never take the same row, and a lease so a crashed worker's rows come back.
 */
export async function claimDue(db: Executor, now: Date, leaseMs: number, limit: number): Promise<OutboxRow[]> {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.status, 'pending'), lte(outbox.runAt, now), or(isNull(outbox.lockedUntil), lt(outbox.lockedUntil, now))))
    .orderBy(outbox.runAt)
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(outbox)
    .set({ lockedUntil: new Date(now.getTime() + leaseMs), attempts: sql`${outbox.attempts} + 1` })
    .where(inArray(outbox.id, due))
    .returning();
}

export async function markDone(db: Executor, id: string, now: Date, status: 'done' | 'skipped' = 'done'): Promise<void> {
  await db.update(outbox).set({ status, doneAt: now, lockedUntil: null, lastError: null }).where(eq(outbox.id, id));
}

export async function markFailed(db: Executor, id: string, error: string, retryAt: Date | null): Promise<void> {
  await db
    .update(outbox)
    .set(retryAt ? { runAt: retryAt, lockedUntil: null, lastError: error } : { status: 'failed', lockedUntil: null, lastError: error })
    .where(eq(outbox.id, id));
}

export async function countByStatus(db: Executor): Promise<Record<string, number>> {
  const rows = await db.select({ status: outbox.status, n: sql<number>`count(*)::int` }).from(outbox).groupBy(outbox.status);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
