import { and, desc, eq, inArray, lt, or, sql, gte, lte, type SQL } from 'drizzle-orm';
import stringify from 'safe-stable-stringify';
import { sha256Hex } from '../../lib/crypto.js';
import type { Executor } from '../../db/client.js';
import { activityChainHeads, activityEvents } from '../../db/schema/index.js';

export type ActivityRow = typeof activityEvents.$inferSelect;
export type NewActivityRow = Omit<ActivityRow, 'seq' | 'prevHash' | 'hash'>;

export const GENESIS_HASH = '0'.repeat(64);

/** The exact bytes a row's hash covers; the verifier recomputes it from the stored row. */
export function canonicalEvent(row: Omit<ActivityRow, 'hash' | 'prevHash'>): string {
  return stringify({
    id: row.id,
    chain: row.chain,
    seq: row.seq,
    workspaceId: row.workspaceId,
    type: row.type,
    actorUserId: row.actorUserId,
    targetUserId: row.targetUserId,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    data: row.data,
    ip: row.ip,
    userAgent: row.userAgent,
    createdAt: row.createdAt.toISOString(),
  }) as string;
}

export function chainHash(prevHash: string, row: Omit<ActivityRow, 'hash' | 'prevHash'>): string {
  return sha256Hex(`${prevHash}\n${canonicalEvent(row)}`);
}

/**
 * Appends rows to one chain. The upsert on the head row locks it until the transaction ends,
 * so concurrent writers to the same chain queue up instead of forking it (ADR 0003).
 */
export async function appendToChain(tx: Executor, chain: string, rows: NewActivityRow[]): Promise<void> {
  if (rows.length === 0) return;
  const [head] = await tx
    .insert(activityChainHeads)
    .values({ chain, seq: 0, hash: GENESIS_HASH })
    .onConflictDoUpdate({ target: activityChainHeads.chain, set: { chain: sql`excluded.chain` } })
    .returning({ seq: activityChainHeads.seq, hash: activityChainHeads.hash });
  let seq = head!.seq;
  let prev = head!.hash;
  const sealed: ActivityRow[] = rows.map((r) => {
    seq += 1;
    const withSeq = { ...r, chain, seq };
    const hash = chainHash(prev, withSeq);
    const out = { ...withSeq, prevHash: prev, hash };
    prev = hash;
    return out;
  });
  // Stay well below PostgreSQL's 65,535 bind parameters per statement.
  for (let i = 0; i < sealed.length; i += 2000) {
    await tx.insert(activityEvents).values(sealed.slice(i, i + 2000));
  }
  await tx.update(activityChainHeads).set({ seq, hash: prev }).where(eq(activityChainHeads.chain, chain));
}

export interface ActivityFilter {
  workspaceId: string;
  types?: string[] | undefined;
  actorUserId?: string | undefined;
  targetUserId?: string | undefined;
  subjectId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  before?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

export async function listWorkspaceActivity(db: Executor, f: ActivityFilter): Promise<ActivityRow[]> {
  const conds: SQL[] = [eq(activityEvents.workspaceId, f.workspaceId)];
  if (f.types?.length) conds.push(inArray(activityEvents.type, f.types));
  if (f.actorUserId) conds.push(eq(activityEvents.actorUserId, f.actorUserId));
  if (f.targetUserId) conds.push(eq(activityEvents.targetUserId, f.targetUserId));
  if (f.subjectId) conds.push(eq(activityEvents.subjectId, f.subjectId));
  if (f.from) conds.push(gte(activityEvents.createdAt, f.from));
  if (f.to) conds.push(lte(activityEvents.createdAt, f.to));
  if (f.before) {
    conds.push(
      or(
        lt(activityEvents.createdAt, f.before.createdAt),
        and(eq(activityEvents.createdAt, f.before.createdAt), lt(activityEvents.id, f.before.id)),
      )!,
    );
  }
  return db
    .select()
    .from(activityEvents)
    .where(and(...conds))
    .orderBy(desc(activityEvents.createdAt), desc(activityEvents.id))
    .limit(f.limit);
}

export async function listChains(db: Executor): Promise<string[]> {
  const rows = await db.select({ chain: activityChainHeads.chain }).from(activityChainHeads);
  return rows.map((r) => r.chain);
}

export async function readChain(db: Executor, chain: string, afterSeq: number, limit: number): Promise<ActivityRow[]> {
  return db
    .select()
    .from(activityEvents)
    .where(and(eq(activityEvents.chain, chain), sql`${activityEvents.seq} > ${afterSeq}`))
    .orderBy(activityEvents.seq)
    .limit(limit);
}

export async function readHead(db: Executor, chain: string) {
  const [head] = await db.select().from(activityChainHeads).where(eq(activityChainHeads.chain, chain));
  return head;
}
