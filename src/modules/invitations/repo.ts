import { aliasedTable, and, desc, eq, gt, ilike, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../db/client.js';
import { asInserted, UNNEST_FROM_ROWS, unnestRows } from '../../db/unnest.js';
import { invitations, supersededInvitationTokens, users, workspaces } from '../../db/schema/index.js';
import type { Keyset } from '../../http/pagination.js';

export type InvitationRow = typeof invitations.$inferSelect;
export type NewInvitationRow = typeof invitations.$inferInsert;

const inviter = aliasedTable(users, 'inviter');

export async function findById(db: Executor, workspaceId: string, id: string): Promise<InvitationRow | undefined> {
  const [row] = await db.select().from(invitations).where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.id, id)));
  return row;
}

export async function findAnyById(db: Executor, id: string): Promise<InvitationRow | undefined> {
  const [row] = await db.select().from(invitations).where(eq(invitations.id, id));
  return row;
}

export async function findByIdForUpdate(db: Executor, workspaceId: string, id: string): Promise<InvitationRow | undefined> {
  const [row] = await db.select().from(invitations).where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.id, id))).for('update');
  return row;
}

export async function findByTokenHash(db: Executor, tokenHash: string): Promise<InvitationRow | undefined> {
  const [row] = await db.select().from(invitations).where(eq(invitations.tokenHash, tokenHash));
  return row;
}

export async function isSupersededToken(db: Executor, tokenHash: string): Promise<boolean> {
  const [row] = await db.select({ h: supersededInvitationTokens.tokenHash }).from(supersededInvitationTokens).where(eq(supersededInvitationTokens.tokenHash, tokenHash));
  return !!row;
}

export interface InviteChecks {
  /** Addresses among the requested ones that are active members already. */
  members: Set<string>;
  /** Pending rows (including ones past expiry) for the requested addresses. */
  pending: { id: string; email: string; expiresAt: Date }[];
  /** Invitations created since `since` in the workspace, and by the inviter (spam caps). */
  counts: { byWorkspace: number; byInviter: number };
  inviterName: string | null;
}

/** Everything a bulk invitation checks before writing, read in one round trip. */
export async function inviteChecks(db: Executor, f: { workspaceId: string; emails: string[]; since: Date; countedUserId: string; inviterUserId: string }): Promise<InviteChecks> {
  const emails = sql`${sql.param(f.emails)}::text[]`;
  const result = await db.execute(sql`
    select
      (select coalesce(json_agg(u.email), '[]'::json) from members m join users u on u.id = m.user_id
        where m.workspace_id = ${f.workspaceId} and m.status = 'active' and u.email = any(${emails})) as members,
      (select coalesce(json_agg(json_build_object('id', i.id, 'email', i.email, 'expiresAt', i.expires_at)), '[]'::json) from invitations i
        where i.workspace_id = ${f.workspaceId} and i.status = 'pending' and i.email = any(${emails})) as pending,
      c.by_workspace, c.by_inviter,
      (select name from users where id = ${f.inviterUserId}) as inviter_name
    from (
      select count(*)::int as by_workspace, count(*) filter (where inviter_user_id = ${f.countedUserId})::int as by_inviter
      from invitations where workspace_id = ${f.workspaceId} and created_at >= ${f.since.toISOString()}::timestamptz
    ) c`);
  type Raw = { members: string[] | string; pending: { id: string; email: string; expiresAt: string }[] | string; by_workspace: number | string; by_inviter: number | string; inviter_name: string | null };
  const row = rowsOf<Raw>(result)[0]!;
  const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  return {
    members: new Set(json(row.members)),
    pending: json(row.pending).map((p) => ({ id: p.id, email: p.email, expiresAt: new Date(p.expiresAt) })),
    counts: { byWorkspace: Number(row.by_workspace), byInviter: Number(row.by_inviter) },
    inviterName: row.inviter_name,
  };
}

/** Writes the derived `expired` state for rows whose time ran out. */
export async function materialiseExpired(db: Executor, workspaceId: string, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(invitations)
    .set({ status: 'expired', updatedAt: now })
    .where(and(eq(invitations.workspaceId, workspaceId), inArray(invitations.id, ids), eq(invitations.status, 'pending'), lte(invitations.expiresAt, now)));
}

/**
 * Inserts; a row that collides with a pending one (a concurrent invite) is left out. Rows are
 * written in email order, so two bulk invites sharing addresses lock them in the same order and
 * one waits for the other instead of deadlocking (test/concurrency/invites.test.ts). Returned in input order.
 */
export async function insertMany(db: Executor, rows: NewInvitationRow[]): Promise<InvitationRow[]> {
  if (rows.length === 0) return [];
  const sorted = [...rows].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  // One statement for any batch size (unnest inserts in array order, so the email order holds);
  // plain VALUES for a few rows, which PostgreSQL plans faster.
  const insert = (sorted.length <= UNNEST_FROM_ROWS ? db.insert(invitations).values(sorted) : db.insert(invitations).select(unnestRows(invitations, sorted))).onConflictDoNothing();
  const stored = rows.map((r) => asInserted(invitations, r));
  if (stored.every((r) => r !== null)) {
    // Every stored value is known already: read back only which rows went in.
    const ids = new Set((await insert.returning({ id: invitations.id })).map((r) => r.id));
    return stored.filter((r) => ids.has(r.id));
  }
  const byId = new Map((await insert.returning()).map((row) => [row.id, row]));
  return rows.flatMap((r) => byId.get(r.id!) ?? []);
}

/** The single guarded statement that makes acceptance happen at most once. */
export async function markAccepted(db: Executor, id: string, expectedTokenHash: string | null, userId: string, now: Date): Promise<InvitationRow | undefined> {
  const [row] = await db
    .update(invitations)
    .set({ status: 'accepted', acceptedByUserId: userId, respondedAt: now, updatedAt: now })
    .where(
      and(
        eq(invitations.id, id),
        eq(invitations.status, 'pending'),
        gt(invitations.expiresAt, now),
        ...(expectedTokenHash ? [eq(invitations.tokenHash, expectedTokenHash)] : []),
      ),
    )
    .returning();
  return row;
}

export async function markDeclined(db: Executor, id: string, now: Date): Promise<InvitationRow | undefined> {
  const [row] = await db
    .update(invitations)
    .set({ status: 'declined', respondedAt: now, updatedAt: now })
    .where(and(eq(invitations.id, id), eq(invitations.status, 'pending'), gt(invitations.expiresAt, now)))
    .returning();
  return row;
}

export async function markRevoked(db: Executor, workspaceId: string, id: string, now: Date): Promise<InvitationRow | undefined> {
  const [row] = await db
    .update(invitations)
    .set({ status: 'revoked', updatedAt: now })
    .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.id, id), inArray(invitations.status, ['pending', 'expired'])))
    .returning();
  return row;
}

export async function revokePendingInvitationsFor(db: Executor, workspaceId: string, email: string, now: Date): Promise<number> {
  const rows = await db
    .update(invitations)
    .set({ status: 'revoked', updatedAt: now })
    .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.email, email), eq(invitations.status, 'pending')))
    .returning({ id: invitations.id });
  return rows.length;
}

export async function rotateToken(
  db: Executor,
  row: InvitationRow,
  next: { tokenHash: string; tokenNonce: string; expiresAt: Date; inviterUserId: string; now: Date },
): Promise<InvitationRow | undefined> {
  await db.insert(supersededInvitationTokens).values({ tokenHash: row.tokenHash, invitationId: row.id, supersededAt: next.now }).onConflictDoNothing();
  const [updated] = await db
    .update(invitations)
    .set({
      tokenHash: next.tokenHash,
      tokenNonce: next.tokenNonce,
      expiresAt: next.expiresAt,
      inviterUserId: next.inviterUserId,
      status: 'pending',
      resendCount: sql`${invitations.resendCount} + 1`,
      lastSentAt: next.now,
      updatedAt: next.now,
    })
    .where(and(eq(invitations.id, row.id), eq(invitations.tokenHash, row.tokenHash), inArray(invitations.status, ['pending', 'expired'])))
    .returning();
  return updated;
}

export interface InvitationFilter {
  workspaceId: string;
  status?: string[] | undefined;
  type?: string | undefined;
  q?: string | undefined;
  before?: Keyset | undefined;
  limit: number;
  now: Date;
}

const withInviter = { invitation: invitations, inviterName: inviter.name };

/** Newest first (Skyone's console); `expired` and `pending` filters use the derived status. */
export async function list(db: Executor, f: InvitationFilter) {
  const conds: SQL[] = [eq(invitations.workspaceId, f.workspaceId)];
  if (f.status?.length) {
    const parts: SQL[] = [];
    const stored = f.status.filter((s) => s !== 'pending' && s !== 'expired');
    if (stored.length) parts.push(inArray(invitations.status, stored));
    if (f.status.includes('pending')) parts.push(and(eq(invitations.status, 'pending'), gt(invitations.expiresAt, f.now))!);
    if (f.status.includes('expired')) parts.push(or(eq(invitations.status, 'expired'), and(eq(invitations.status, 'pending'), lte(invitations.expiresAt, f.now)))!);
    conds.push(or(...parts)!);
  }
  if (f.type) conds.push(eq(invitations.type, f.type));
  if (f.q) conds.push(ilike(invitations.email, `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (f.before) conds.push(or(lt(invitations.createdAt, f.before.createdAt), and(eq(invitations.createdAt, f.before.createdAt), lt(invitations.id, f.before.id)))!);
  return db
    .select(withInviter)
    .from(invitations)
    .leftJoin(inviter, eq(inviter.id, invitations.inviterUserId))
    .where(and(...conds))
    .orderBy(desc(invitations.createdAt), desc(invitations.id))
    .limit(f.limit + 1);
}

export async function findWithInviter(db: Executor, workspaceId: string, id: string) {
  const [row] = await db.select(withInviter).from(invitations).leftJoin(inviter, eq(inviter.id, invitations.inviterUserId)).where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.id, id)));
  return row;
}

/** What a link's preview and the invitation email show: workspace and inviter names. */
export async function findContext(db: Executor, invitationId: string) {
  const [row] = await db
    .select({ invitation: invitations, workspaceName: workspaces.name, inviterName: inviter.name })
    .from(invitations)
    .innerJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
    .leftJoin(inviter, eq(inviter.id, invitations.inviterUserId))
    .where(eq(invitations.id, invitationId));
  return row;
}

/** The invitee inbox: pending, unexpired invitations to one verified address. */
export async function listPendingForEmail(db: Executor, email: string, now: Date) {
  return db
    .select({ invitation: invitations, workspaceName: workspaces.name, inviterName: inviter.name })
    .from(invitations)
    .innerJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
    .leftJoin(inviter, eq(inviter.id, invitations.inviterUserId))
    .where(and(eq(invitations.email, email), eq(invitations.status, 'pending'), gt(invitations.expiresAt, now)))
    .orderBy(desc(invitations.createdAt))
    .limit(200);
}

export async function findPendingForEmailById(db: Executor, id: string, email: string): Promise<InvitationRow | undefined> {
  const [row] = await db.select().from(invitations).where(and(eq(invitations.id, id), eq(invitations.email, email)));
  return row;
}

export async function pendingProvisionedFor(db: Executor, userId: string, now: Date): Promise<InvitationRow[]> {
  return db
    .select()
    .from(invitations)
    .where(and(eq(invitations.provisionedUserId, userId), eq(invitations.status, 'pending'), gt(invitations.expiresAt, now)))
    .orderBy(invitations.createdAt);
}
