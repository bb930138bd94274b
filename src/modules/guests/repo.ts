import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { invitations, localPartners, members, users } from '../../db/schema/index.js';

export type LocalPartnerRow = typeof localPartners.$inferSelect;

export async function findActivePartner(db: Executor, workspaceId: string, id: string): Promise<LocalPartnerRow | undefined> {
  const [row] = await db.select().from(localPartners).where(and(eq(localPartners.workspaceId, workspaceId), eq(localPartners.id, id), eq(localPartners.status, 'active')));
  return row;
}

export async function insertPartner(db: Executor, row: typeof localPartners.$inferInsert): Promise<LocalPartnerRow | undefined> {
  const [created] = await db.insert(localPartners).values(row).onConflictDoNothing().returning();
  return created;
}

/**
 * Active partners with their active guest counts. The outer table is referenced as
 * `local_partners.id`: drizzle renders `${localPartners.id}` unqualified in a one-table select,
 * and inside the subquery a bare "id" would be the member's id (counts always 0).
 */
export async function listPartners(db: Executor, workspaceId: string, onlyId?: string) {
  return db
    .select({
      partner: localPartners,
      guestAdmins: sql<number>`(select count(*)::int from ${members} m where m.local_partner_id = ${localPartners}.id and m.status = 'active' and m.partner_role = 'guest_admin')`,
      guestUsers: sql<number>`(select count(*)::int from ${members} m where m.local_partner_id = ${localPartners}.id and m.status = 'active' and m.partner_role = 'guest_user')`,
    })
    .from(localPartners)
    .where(and(eq(localPartners.workspaceId, workspaceId), eq(localPartners.status, 'active'), ...(onlyId ? [eq(localPartners.id, onlyId)] : [])))
    .orderBy(asc(sql`lower(${localPartners.name})`));
}

export async function partnerMembers(db: Executor, workspaceId: string, partnerId: string) {
  return db
    .select({ member: members, user: { id: users.id, email: users.email, name: users.name } })
    .from(members)
    .innerJoin(users, eq(users.id, members.userId))
    .where(and(eq(members.workspaceId, workspaceId), eq(members.localPartnerId, partnerId), eq(members.status, 'active')))
    .orderBy(asc(members.createdAt), asc(members.id));
}

export async function partnerPendingInvitations(db: Executor, workspaceId: string, partnerId: string, now: Date) {
  return db
    .select()
    .from(invitations)
    .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.localPartnerId, partnerId), eq(invitations.status, 'pending'), sql`${invitations.expiresAt} > ${now}`))
    .orderBy(asc(invitations.createdAt));
}

export async function markPartnerRemoved(db: Executor, workspaceId: string, id: string, now: Date): Promise<LocalPartnerRow | undefined> {
  const [row] = await db
    .update(localPartners)
    .set({ status: 'removed', removedAt: now })
    .where(and(eq(localPartners.workspaceId, workspaceId), eq(localPartners.id, id), eq(localPartners.status, 'active')))
    .returning();
  return row;
}

/** Deactivates every guest of a partner at once; returns who was removed. */
export async function removePartnerMembers(db: Executor, workspaceId: string, partnerId: string, now: Date) {
  return db
    .update(members)
    .set({ status: 'removed', removedAt: now, updatedAt: now })
    .where(and(eq(members.workspaceId, workspaceId), eq(members.localPartnerId, partnerId), eq(members.status, 'active')))
    .returning({ id: members.id, userId: members.userId });
}

export async function revokePartnerInvitations(db: Executor, workspaceId: string, partnerId: string, now: Date) {
  return db
    .update(invitations)
    .set({ status: 'revoked', updatedAt: now })
    .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.localPartnerId, partnerId), inArray(invitations.status, ['pending', 'expired'])))
    .returning({ id: invitations.id, provisionedUserId: invitations.provisionedUserId });
}

export async function partnerNames(db: Executor, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: localPartners.id, name: localPartners.name }).from(localPartners).where(inArray(localPartners.id, ids));
  return new Map(rows.map((r) => [r.id, r.name]));
}
