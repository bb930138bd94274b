import { and, asc, eq, gt, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { locations, memberLocations, members, tosAcceptances, userTotp, users, workspaces } from '../../db/schema/index.js';
import type { Keyset } from '../../http/pagination.js';

export type MemberRow = typeof members.$inferSelect;

/** The caller's active membership and the workspace's rules, in one query. */
/** The user's active membership with its workspace; `also`, an expression of the caller's, is read in the same query. */
export async function findActiveMembership(db: Executor, workspaceId: string, userId: string, also: SQL = sql`null`) {
  const [row] = await db
    .select({ member: members, workspace: workspaces, also: sql<unknown>`${also}` })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.workspaceId))
    .where(and(eq(members.workspaceId, workspaceId), eq(members.userId, userId), eq(members.status, 'active')));
  return row;
}

/**
 * For an acceptance, in one query: the invitee's membership (any status) and the inviter's
 * active membership with the workspace — what findMemberByUser and findActiveMembership return.
 */
export async function findAcceptanceMemberships(db: Executor, workspaceId: string, userId: string, inviterUserId: string | null) {
  const rows = await db
    .select({ member: members, workspace: workspaces })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.workspaceId))
    .where(and(eq(members.workspaceId, workspaceId), inArray(members.userId, inviterUserId ? [userId, inviterUserId] : [userId])));
  const inviter = inviterUserId ? rows.find((r) => r.member.userId === inviterUserId && r.member.status === 'active') : undefined;
  return { existing: rows.find((r) => r.member.userId === userId)?.member, inviter };
}

export async function findMember(db: Executor, workspaceId: string, memberId: string) {
  const [row] = await db
    .select({ member: members, user: { id: users.id, email: users.email, name: users.name } })
    .from(members)
    .innerJoin(users, eq(users.id, members.userId))
    .where(and(eq(members.workspaceId, workspaceId), eq(members.id, memberId)));
  return row;
}

export async function findMemberByUser(db: Executor, workspaceId: string, userId: string): Promise<MemberRow | undefined> {
  const [row] = await db.select().from(members).where(and(eq(members.workspaceId, workspaceId), eq(members.userId, userId)));
  return row;
}

/** Inserts unless the user already has a membership in the workspace (any status). */
const insertMemberQuery = (db: Executor, row: typeof members.$inferInsert) => db.insert(members).values(row).onConflictDoNothing({ target: [members.workspaceId, members.userId] });

export async function insertMember(db: Executor, row: typeof members.$inferInsert): Promise<MemberRow | undefined> {
  const [created] = await insertMemberQuery(db, row).returning();
  return created;
}

/** `insertMember` for a write batch: returns the id when the row went in. */
export function insertMemberStatement(db: Executor, row: typeof members.$inferInsert) {
  return insertMemberQuery(db, row).returning({ id: members.id });
}

/** Re-activates a removed membership (a re-invited person comes back with the new role); for a write batch, returns the id. */
export function reactivateMemberStatement(db: Executor, workspaceId: string, memberId: string, patch: Partial<typeof members.$inferInsert>) {
  return db
    .update(members)
    .set({ ...patch, status: 'active', removedAt: null })
    .where(and(eq(members.workspaceId, workspaceId), eq(members.id, memberId), eq(members.status, 'removed')))
    .returning({ id: members.id });
}

export async function updateMember(db: Executor, workspaceId: string, memberId: string, patch: Partial<typeof members.$inferInsert>): Promise<MemberRow | undefined> {
  const [row] = await db.update(members).set(patch).where(and(eq(members.workspaceId, workspaceId), eq(members.id, memberId))).returning();
  return row;
}

export async function setMemberLocations(db: Executor, workspaceId: string, memberId: string, locationIds: string[]): Promise<void> {
  await db.delete(memberLocations).where(and(eq(memberLocations.workspaceId, workspaceId), eq(memberLocations.memberId, memberId)));
  if (locationIds.length) await db.insert(memberLocations).values(locationIds.map((locationId) => ({ memberId, locationId, workspaceId })));
}

export async function locationsOfMembers(db: Executor, workspaceId: string, memberIds: string[]): Promise<Map<string, { id: string; name: string }[]>> {
  const out = new Map<string, { id: string; name: string }[]>();
  if (memberIds.length === 0) return out;
  const rows = await db
    .select({ memberId: memberLocations.memberId, id: locations.id, name: locations.name })
    .from(memberLocations)
    .innerJoin(locations, eq(locations.id, memberLocations.locationId))
    .where(and(eq(memberLocations.workspaceId, workspaceId), inArray(memberLocations.memberId, memberIds)))
    .orderBy(asc(sql`lower(${locations.name})`), asc(locations.id));
  for (const r of rows) {
    const list = out.get(r.memberId) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.memberId, list);
  }
  return out;
}

export interface MemberFilter {
  workspaceId: string;
  roles?: string[] | undefined;
  statuses?: string[] | undefined;
  types?: string[] | undefined;
  q?: string | undefined;
  after?: Keyset | undefined;
  limit: number;
}

/** Keyset page ordered by (created_at, id): stable while people join. */
export async function listMembers(db: Executor, f: MemberFilter) {
  const conds: SQL[] = [eq(members.workspaceId, f.workspaceId)];
  if (f.roles?.length) conds.push(inArray(members.role, f.roles));
  if (f.statuses?.length) conds.push(inArray(members.status, f.statuses));
  if (f.types?.length) conds.push(inArray(members.type, f.types));
  if (f.q) {
    const pattern = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conds.push(or(ilike(users.email, pattern), ilike(users.name, pattern))!);
  }
  if (f.after) conds.push(or(gt(members.createdAt, f.after.createdAt), and(eq(members.createdAt, f.after.createdAt), gt(members.id, f.after.id)))!);
  return db
    .select({ member: members, user: { id: users.id, email: users.email, name: users.name } })
    .from(members)
    .innerJoin(users, eq(users.id, members.userId))
    .where(and(...conds))
    .orderBy(asc(members.createdAt), asc(members.id))
    .limit(f.limit + 1);
}

export async function countActiveOwners(db: Executor, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(members)
    .where(and(eq(members.workspaceId, workspaceId), eq(members.role, 'owner'), eq(members.status, 'active')));
  return Number(row?.n ?? 0);
}

/** Whether any workspace the user is active in asks for approval of new trusted devices. */
export async function userNeedsDeviceApproval(db: Executor, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: workspaces.id })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.workspaceId))
    .where(and(eq(members.userId, userId), eq(members.status, 'active'), eq(workspaces.deviceApprovalRequired, true)))
    .limit(1);
  return !!row;
}

export async function hasAcceptedTerms(db: Executor, workspaceId: string, userId: string, version: number): Promise<boolean> {
  const [row] = await db
    .select({ id: tosAcceptances.id })
    .from(tosAcceptances)
    .where(and(eq(tosAcceptances.workspaceId, workspaceId), eq(tosAcceptances.userId, userId), eq(tosAcceptances.version, version)));
  return !!row;
}

export async function hasConfirmedMfa(db: Executor, userId: string): Promise<boolean> {
  const [row] = await db.select({ at: userTotp.confirmedAt }).from(userTotp).where(eq(userTotp.userId, userId));
  return !!row?.at;
}
