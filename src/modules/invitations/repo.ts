import { aliasedTable, and, desc, eq, gt, ilike, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../db/client.js';
import { asInserted, UNNEST_FROM_ROWS, unnestRows } from '../../db/unnest.js';
import type { WriteBatch } from '../../db/write-batch.js';
import { invitationCounters, invitations, members, supersededInvitationTokens, users, workspaces } from '../../db/schema/index.js';
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

const inviteeMember = aliasedTable(members, 'invitee_member');
const inviterMember = aliasedTable(members, 'inviter_member');

/**
 * Everything an acceptance by link reads, in one query: the invitation by its token hash, the
 * signed-in user, the user's membership in its workspace (any status), and the inviter's active
 * membership with the workspace (the inviter must still be allowed to grant the role).
 */
export async function findForAcceptance(db: Executor, tokenHash: string, userId: string) {
  const [row] = await db
    .select({ invitation: invitations, user: users, existing: inviteeMember, inviter: inviterMember, workspace: workspaces })
    .from(invitations)
    .innerJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
    .leftJoin(users, eq(users.id, userId))
    .leftJoin(inviteeMember, and(eq(inviteeMember.workspaceId, invitations.workspaceId), eq(inviteeMember.userId, userId)))
    .leftJoin(inviterMember, and(eq(inviterMember.workspaceId, invitations.workspaceId), eq(inviterMember.userId, invitations.inviterUserId), eq(inviterMember.status, 'active')))
    .where(eq(invitations.tokenHash, tokenHash));
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

export interface InviteChecksQuery {
  workspaceId: string;
  emails: string[];
  since: Date;
  countedUserId: string;
  inviterUserId: string;
}

/**
 * Everything a bulk invitation checks before writing, as one JSON value: to read on its own
 * (`inviteChecks`) or together with the caller's membership (`loadActor`'s `alsoRead`). The member
 * check starts from the addresses: an index probe per address, not a walk over the members.
 */
export function inviteChecksSql(f: InviteChecksQuery): SQL {
  const emails = sql`${sql.param(f.emails)}::text[]`;
  return sql`(select json_build_object(
      'members', (select coalesce(json_agg(u.email), '[]'::json) from users u where u.email = any(${emails})
        and exists (select 1 from members m where m.workspace_id = ${f.workspaceId} and m.user_id = u.id and m.status = 'active')),
      'pending', (select coalesce(json_agg(json_build_object('id', i.id, 'email', i.email, 'expiresAt', i.expires_at)), '[]'::json) from invitations i
        where i.workspace_id = ${f.workspaceId} and i.status = 'pending' and i.email = any(${emails})),
      'byWorkspace', coalesce(sum(c.created), 0),
      'byInviter', coalesce(sum(c.created) filter (where c.inviter_user_id = ${f.countedUserId}), 0),
      'inviterName', (select name from users where id = ${f.inviterUserId}))
    from invitation_counters c where c.workspace_id = ${f.workspaceId} and c.minute > ${f.since.toISOString()}::timestamptz)`;
}

/** The value of `inviteChecksSql`, as either driver returns it. */
export function parseInviteChecks(value: unknown): InviteChecks {
  type Raw = { members: string[]; pending: { id: string; email: string; expiresAt: string }[]; byWorkspace: number | string; byInviter: number | string; inviterName: string | null };
  const raw = (typeof value === 'string' ? JSON.parse(value) : value) as Raw;
  return {
    members: new Set(raw.members),
    pending: raw.pending.map((p) => ({ id: p.id, email: p.email, expiresAt: new Date(p.expiresAt) })),
    counts: { byWorkspace: Number(raw.byWorkspace), byInviter: Number(raw.byInviter) },
    inviterName: raw.inviterName,
  };
}

export async function inviteChecks(db: Executor, f: InviteChecksQuery): Promise<InviteChecks> {
  const result = await db.execute(sql`select ${inviteChecksSql(f)} as checks`);
  return parseInviteChecks(rowsOf<{ checks: unknown }>(result)[0]!.checks);
}

/**
 * Adds `created` invitations to this minute's counter of the workspace and inviter, and prunes
 * the workspace's counters older than `pruneBefore`, with the use case's other writes.
 */
export function countCreated(db: Executor, batch: WriteBatch, f: { workspaceId: string; inviterUserId: string; now: Date; created: number; pruneBefore: Date }): void {
  if (f.created === 0) return;
  const minute = new Date(Math.floor(f.now.getTime() / 60_000) * 60_000);
  batch.add(
    'invitation_counter',
    db
      .insert(invitationCounters)
      .values({ workspaceId: f.workspaceId, inviterUserId: f.inviterUserId, minute, created: f.created })
      .onConflictDoUpdate({ target: [invitationCounters.workspaceId, invitationCounters.inviterUserId, invitationCounters.minute], set: { created: sql`${invitationCounters.created} + excluded.created` } })
      .returning({ minute: invitationCounters.minute }),
  );
  batch.add(
    'invitation_counter_prune',
    db
      .delete(invitationCounters)
      .where(and(eq(invitationCounters.workspaceId, f.workspaceId), lt(invitationCounters.minute, f.pruneBefore)))
      .returning({ minute: invitationCounters.minute }),
  );
}

/** Writes the derived `expired` state for rows whose time ran out. */
export async function materialiseExpired(db: Executor, workspaceId: string, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(invitations)
    .set({ status: 'expired', updatedAt: now })
    .where(and(eq(invitations.workspaceId, workspaceId), inArray(invitations.id, ids), eq(invitations.status, 'pending'), lte(invitations.expiresAt, now)));
}

/** The unique index that allows one pending invitation per address and workspace. */
export const ONE_PENDING_CONSTRAINT = 'invitations_one_pending_uq';

/**
 * Adds the insert to the use case's batch and returns the rows as stored. Rows are written in
 * email order, so two bulk invites sharing addresses lock them in the same order and one waits
 * for the other instead of deadlocking (test/concurrency/invites.test.ts). A row colliding with a
 * pending one (a concurrent invite of the same address) fails the statement with a unique
 * violation of ONE_PENDING_CONSTRAINT: the caller retries, and then sees that invitation.
 */
export function insertMany(db: Executor, rows: NewInvitationRow[], batch: WriteBatch): InvitationRow[] {
  if (rows.length === 0) return [];
  const sorted = [...rows].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  // One statement for any batch size (unnest inserts in array order, so the email order holds);
  // plain VALUES for a few rows, which PostgreSQL plans faster.
  const insert = sorted.length <= UNNEST_FROM_ROWS ? db.insert(invitations).values(sorted) : db.insert(invitations).select(unnestRows(invitations, sorted));
  batch.add('invitations', insert.returning({ id: invitations.id }));
  return rows.map((r) => {
    const stored = asInserted(invitations, r);
    if (!stored) throw new Error('invitations: every stored column must be known at insert time');
    return stored;
  });
}

/** The single guarded statement that makes acceptance happen at most once (for a write batch: returns the id when it matched). */
export function markAcceptedStatement(db: Executor, id: string, expectedTokenHash: string | null, userId: string, now: Date) {
  return db
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
    .returning({ id: invitations.id });
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
