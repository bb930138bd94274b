import type { Ctx } from '../../app/deps.js';
import type { Executor } from '../../db/client.js';
import type { WriteBatch } from '../../db/write-batch.js';
import type { ActivityInput } from './events.js';
import { appendToChain, headCacheFor, type NewActivityRow } from './repo.js';

/** Events of a workspace chain per workspace; others chain per actor (or `global`). */
function chainOf(row: NewActivityRow): string {
  if (row.workspaceId) return `ws:${row.workspaceId}`;
  if (row.actorUserId) return `user:${row.actorUserId}`;
  if (row.targetUserId) return `user:${row.targetUserId}`;
  return 'global';
}

/**
 * Writes activity events inside the caller's transaction, so an event exists exactly when the
 * change it describes was committed. With a `batch`, the change's own writes go in the same
 * statement as the events (one round trip for the whole use case, ADR 0007); the batch is sent
 * either way, also when there is no event.
 */
export async function recordActivity(tx: Executor, ctx: Ctx, inputs: ActivityInput[], batch?: WriteBatch): Promise<void> {
  const now = ctx.clock.now();
  const byChain = new Map<string, NewActivityRow[]>();
  for (const input of inputs) {
    const row: NewActivityRow = {
      id: ctx.random.uuid(),
      chain: '',
      workspaceId: input.workspaceId ?? null,
      type: input.type,
      actorUserId: input.actorUserId === undefined ? ctx.userId : input.actorUserId,
      targetUserId: input.targetUserId ?? null,
      subjectType: input.subjectType ?? null,
      subjectId: input.subjectId ?? null,
      data: input.data ?? {},
      ip: ctx.meta.ip ?? null,
      userAgent: ctx.meta.userAgent ? ctx.meta.userAgent.slice(0, 512) : null,
      createdAt: now,
    };
    const chain = chainOf(row);
    const list = byChain.get(chain) ?? [];
    list.push(row);
    byChain.set(chain, list);
  }
  // A stable order of chains keeps two transactions from locking heads in opposite order.
  const heads = headCacheFor(ctx.db);
  for (const chain of [...byChain.keys()].sort()) {
    await appendToChain(tx, chain, byChain.get(chain)!, heads, batch);
  }
  await batch?.send(tx);
}
