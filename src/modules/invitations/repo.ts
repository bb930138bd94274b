import { aliasedTable, and, desc, eq, gt, gte, ilike, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
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

/** Pending rows (including ones past expiry) for these addresses. */
export async function findPendingByEmails(db: Executor, workspaceId: string, emails: string[]): Promise<InvitationRow[]> {
  const out: InvitationRow[] = [];
  for (let i = 0; i < emails.length; i += 5000) {
    out.push(...(await db.select().from(invitations).where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.status, 'pending'), inArray(invitations.email, emails.slice(i, i + 5000))))));
  }
  return out;
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
  const sorted = [...rows].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  const byId = new Map<string, InvitationRow>();
  for (let i = 0; i < sorted.length; i += 2000) {
    for (const row of await db.insert(invitations).values(sorted.slice(i, i + 2000)).onConflictDoNothing().returning()) byId.set(row.id, row);
  }
  return rows.flatMap((r) => byId.get(r.id) ?? []);
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

export async function countCreatedSince(db: Executor, workspaceId: string, inviterUserId: string, since: Date): Promise<{ byWorkspace: number; byInviter: number }> {
  const [row] = await db
    .select({
      byWorkspace: sql<number>`count(*)::int`,
      byInviter: sql<number>`count(*) filter (where ${invitations.inviterUserId} = ${inviterUserId})::int`,
    })
    .from(invitations)
    .where(and(eq(invitations.workspaceId, workspaceId), gte(invitations.createdAt, since)));
  return { byWorkspace: Number(row?.byWorkspace ?? 0), byInviter: Number(row?.byInviter ?? 0) };
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
