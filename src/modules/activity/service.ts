import type { Ctx } from '../../app/deps.js';
import type { Db } from '../../db/client.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import { enforce, loadActor } from '../members/actor.js';
import { canViewActivity } from '../members/policy.js';
import { chainHash, GENESIS_HASH, listChains, listWorkspaceActivity, readChain, readHead, type ActivityRow } from './repo.js';

export interface ActivityQuery {
  type?: string[] | undefined;
  actorUserId?: string | undefined;
  targetUserId?: string | undefined;
  subjectId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
}

export function presentActivity(r: ActivityRow) {
  return {
    id: r.id,
    type: r.type,
    createdAt: r.createdAt,
    actorUserId: r.actorUserId,
    targetUserId: r.targetUserId,
    subjectType: r.subjectType,
    subjectId: r.subjectId,
    data: r.data as Record<string, unknown>,
    ip: r.ip,
    userAgent: r.userAgent,
  };
}

/** Newest first; admins only (guests and users see their own activity elsewhere). */
export async function listActivity(ctx: Ctx, workspaceId: string, q: ActivityQuery) {
  const { actor } = await loadActor(ctx.db, ctx, workspaceId);
  enforce(canViewActivity(actor));
  const rows = await listWorkspaceActivity(ctx.db, {
    workspaceId,
    types: q.type,
    actorUserId: q.actorUserId,
    targetUserId: q.targetUserId,
    subjectId: q.subjectId,
    from: q.from,
    to: q.to,
    before: decodeCursor(q.cursor),
    limit: q.limit + 1,
  });
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  return { items: items.map(presentActivity), nextCursor: rows.length > q.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
}

export interface ChainReport {
  chain: string;
  events: number;
  ok: boolean;
  firstBadSeq?: number;
  problem?: string;
}

/** Recomputes every chain from its genesis; any edited, deleted or inserted row breaks it. */
export async function verifyActivityChains(db: Db): Promise<ChainReport[]> {
  const reports: ChainReport[] = [];
  for (const chain of await listChains(db)) {
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    let report: ChainReport | null = null;
    for (;;) {
      const rows = await readChain(db, chain, expectedSeq - 1, 1000);
      for (const row of rows) {
        count++;
        const problem = row.seq !== expectedSeq ? 'missing event' : row.prevHash !== prev ? 'broken link' : chainHash(prev, row) !== row.hash ? 'content changed' : null;
        if (problem) {
          report = { chain, events: count, ok: false, firstBadSeq: expectedSeq, problem };
          break;
        }
        prev = row.hash;
        expectedSeq++;
      }
      if (report || rows.length < 1000) break;
    }
    if (!report) {
      const head = await readHead(db, chain);
      report = head && (head.seq !== expectedSeq - 1 || head.hash !== prev) ? { chain, events: count, ok: false, firstBadSeq: expectedSeq, problem: 'events missing at the end' } : { chain, events: count, ok: true };
    }
    reports.push(report);
  }
  return reports;
}
