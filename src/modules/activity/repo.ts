import { and, desc, eq, inArray, lt, or, sql, gte, lte, type SQL } from 'drizzle-orm';
import stringify from 'safe-stable-stringify';
import { sha256Hex } from '../../lib/crypto.js';
import { rowsOf, type Executor } from '../../db/client.js';
import { UNNEST_FROM_ROWS } from '../../db/unnest.js';
import type { CarriedBatch, WriteBatch } from '../../db/write-batch.js';
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
 * Per database, what this process knows of the chains (see appendToChain): the last head it wrote
 * or read, how many appends per chain are running now, and when the short path last missed.
 */
type Head = { seq: number; hash: string };
export interface HeadCache {
  heads: Map<string, Head>;
  running: Map<string, number>;
  missedAt: Map<string, number>;
}
const headCaches = new WeakMap<object, HeadCache>();
const HEAD_CACHE_MAX = 10_000;
/** After a miss, a chain takes the locking path for this long (concurrent writers, another process). */
const CONTENDED_MS = 1000;

export function headCacheFor(db: object): HeadCache {
  let cache = headCaches.get(db);
  if (!cache) headCaches.set(db, (cache = { heads: new Map(), running: new Map(), missedAt: new Map() }));
  return cache;
}

function remember(cache: HeadCache | undefined, chain: string, head: Head): void {
  if (!cache) return;
  cache.heads.delete(chain);
  if (cache.heads.size >= HEAD_CACHE_MAX) {
    const oldest = cache.heads.keys().next().value!;
    cache.heads.delete(oldest);
    cache.missedAt.delete(oldest);
  }
  cache.heads.set(chain, head);
}

function seal(chain: string, head: Head, rows: NewActivityRow[]): ActivityRow[] {
  let seq = head.seq;
  let prev = head.hash;
  return rows.map((r) => {
    seq += 1;
    const withSeq = { ...r, chain, seq };
    const hash = chainHash(prev, withSeq);
    const out = { ...withSeq, prevHash: prev, hash };
    prev = hash;
    return out;
  });
}

const arrayParam = <T>(rows: ActivityRow[], pick: (r: ActivityRow) => T) => sql.param(rows.map(pick));

/** The sealed rows as a row source: VALUES for a few (cheaper to plan), unnest of one array per column for many. */
function eventSource(sealed: ActivityRow[]): SQL {
  if (sealed.length <= UNNEST_FROM_ROWS) {
    const rows = sealed.map(
      (r) =>
        sql`(${r.id}::uuid, ${r.seq}::bigint, ${r.workspaceId}::uuid, ${r.type}::text, ${r.actorUserId}::uuid, ${r.targetUserId}::uuid, ${r.subjectType}::text, ${r.subjectId}::uuid, ${JSON.stringify(r.data)}::text, ${r.ip}::text, ${r.userAgent}::text, ${r.createdAt.toISOString()}::timestamptz, ${r.prevHash}::text, ${r.hash}::text)`,
    );
    return sql`(values ${sql.join(rows, sql`, `)})`;
  }
  return sql`unnest(
    ${arrayParam(sealed, (r) => r.id)}::uuid[], ${arrayParam(sealed, (r) => r.seq)}::bigint[], ${arrayParam(sealed, (r) => r.workspaceId)}::uuid[],
    ${arrayParam(sealed, (r) => r.type)}::text[], ${arrayParam(sealed, (r) => r.actorUserId)}::uuid[], ${arrayParam(sealed, (r) => r.targetUserId)}::uuid[],
    ${arrayParam(sealed, (r) => r.subjectType)}::text[], ${arrayParam(sealed, (r) => r.subjectId)}::uuid[], ${arrayParam(sealed, (r) => JSON.stringify(r.data))}::text[],
    ${arrayParam(sealed, (r) => r.ip)}::text[], ${arrayParam(sealed, (r) => r.userAgent)}::text[], ${arrayParam(sealed, (r) => r.createdAt.toISOString())}::timestamptz[],
    ${arrayParam(sealed, (r) => r.prevHash)}::text[], ${arrayParam(sealed, (r) => r.hash)}::text[]
  )`;
}

/**
 * One statement: moves the head from `expected` to the last sealed row, and inserts the rows
 * only if the head was still at `expected` (the UPDATE locks the head row until the transaction
 * ends). Returns false, writing no event, when the head had moved on. A pending `batch` rides
 * along: its writes run, before the head is locked, whatever the head did.
 */
async function moveHeadAndInsert(tx: Executor, chain: string, expected: Head, sealed: ActivityRow[], batch?: WriteBatch): Promise<boolean> {
  const last = sealed[sealed.length - 1]!;
  const carried = batch?.carry();
  const result = await tx.execute(sql`
    with ${withParts(carried)}head as (
      update activity_chain_heads set seq = ${last.seq}, hash = ${last.hash}
      where chain = ${chain} and seq = ${expected.seq} and hash = ${expected.hash} and ${carried?.after ?? sql`true`}
      returning 1
    ), ins as (
      insert into activity_events (id, chain, seq, workspace_id, type, actor_user_id, target_user_id, subject_type, subject_id, data, ip, user_agent, created_at, prev_hash, hash)
      select e.id, ${chain}, e.seq, e.workspace_id, e.type, e.actor_user_id, e.target_user_id, e.subject_type, e.subject_id, e.data::jsonb, e.ip, e.user_agent, e.created_at, e.prev_hash, e.hash
      from ${eventSource(sealed)} as e(id, seq, workspace_id, type, actor_user_id, target_user_id, subject_type, subject_id, data, ip, user_agent, created_at, prev_hash, hash)
      where exists (select 1 from head)
    )
    select ${readBack(carried)}(select count(*)::int from head) as moved`);
  const row = rowsOf<Record<string, unknown>>(result)[0];
  await batch?.received(row);
  return Number(row?.moved ?? 0) === 1;
}

/** A carried batch's CTEs, ahead of a statement's own (each followed by a comma). */
const withParts = (carried: CarriedBatch | undefined): SQL => sql.join([...(carried?.ctes ?? []), sql``], sql`, `);
/** A carried batch's read-back columns, ahead of a statement's own (each followed by a comma). */
const readBack = (carried: CarriedBatch | undefined): SQL => sql.join([...(carried?.columns ?? []), sql``], sql`, `);

/**
 * Appends rows to one chain, so that concurrent writers to the same chain queue up instead of
 * forking it (ADR 0003). The head row is locked until the transaction ends either way:
 * - short path, one statement: the head this process wrote last (`cache`) is still the committed
 *   one, so the conditional UPDATE of the head takes the lock and the rows go in with it;
 * - locking path, two statements: the upsert on the head row locks it (waiting for a concurrent
 *   writer to commit) and reads it, then the same conditional statement appends. Taken for a
 *   chain never seen, and while the chain is contended: another append to it is running in this
 *   process, or the short path missed within the last second (a writer in another process, or
 *   a concurrent transaction not yet committed, or a rollback).
 */
export async function appendToChain(tx: Executor, chain: string, rows: NewActivityRow[], cache?: HeadCache, batch?: WriteBatch): Promise<void> {
  if (rows.length === 0) return;
  if (!cache) return appendLocked(tx, chain, rows, undefined, batch);
  const running = cache.running.get(chain) ?? 0;
  cache.running.set(chain, running + 1);
  try {
    const known = cache.heads.get(chain);
    const contended = running > 0 || performance.now() - (cache.missedAt.get(chain) ?? -Infinity) < CONTENDED_MS;
    if (known && !contended) {
      const sealed = seal(chain, known, rows);
      if (await moveHeadAndInsert(tx, chain, known, sealed, batch)) return remember(cache, chain, { seq: sealed.at(-1)!.seq, hash: sealed.at(-1)!.hash });
      cache.missedAt.set(chain, performance.now());
    }
    await appendLocked(tx, chain, rows, cache, batch);
  } finally {
    const left = (cache.running.get(chain) ?? 1) - 1;
    if (left > 0) cache.running.set(chain, left);
    else cache.running.delete(chain);
  }
}

async function appendLocked(tx: Executor, chain: string, rows: NewActivityRow[], cache: HeadCache | undefined, batch: WriteBatch | undefined): Promise<void> {
  // Locks and reads the head (creating the chain on its first event), after a pending batch's writes.
  const carried = batch?.carry();
  const result = await tx.execute(sql`
    with ${withParts(carried)}head as (
      insert into activity_chain_heads (chain, seq, hash) select ${chain}, 0, ${GENESIS_HASH} where ${carried?.after ?? sql`true`}
      on conflict (chain) do update set chain = excluded.chain
      returning seq, hash
    )
    select ${readBack(carried)}(select seq from head) as seq, (select hash from head) as hash`);
  const row = rowsOf<Record<string, unknown>>(result)[0];
  await batch?.received(row);
  const head: Head = { seq: Number(row?.seq), hash: String(row?.hash) };
  const sealed = seal(chain, head, rows);
  // We hold the head's lock: the conditional move cannot miss.
  if (!(await moveHeadAndInsert(tx, chain, head, sealed))) throw new Error(`activity chain ${chain}: head moved while locked`);
  remember(cache, chain, { seq: sealed.at(-1)!.seq, hash: sealed.at(-1)!.hash });
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

/** Events of one type in one chain since a time (oldest first), optionally for one `data.email`. */
export async function recentEventTimes(db: Executor, chain: string, type: string, since: Date, email?: string): Promise<Date[]> {
  const rows = await db
    .select({ at: activityEvents.createdAt })
    .from(activityEvents)
    .where(
      and(
        eq(activityEvents.chain, chain),
        eq(activityEvents.type, type),
        gte(activityEvents.createdAt, since),
        ...(email ? [sql`${activityEvents.data}->>'email' = ${email}`] : []),
      ),
    )
    .orderBy(activityEvents.createdAt)
    .limit(1000);
  return rows.map((r) => r.at);
}
