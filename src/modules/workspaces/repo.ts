import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { members, tosAcceptances, workspaces } from '../../db/schema/index.js';

export type WorkspaceRow = typeof workspaces.$inferSelect;

export async function insertWorkspace(db: Executor, row: typeof workspaces.$inferInsert): Promise<WorkspaceRow | undefined> {
  const [created] = await db.insert(workspaces).values(row).onConflictDoNothing({ target: workspaces.publicId }).returning();
  return created;
}

export async function findWorkspace(db: Executor, id: string): Promise<WorkspaceRow | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
  return row;
}

/** Serialises membership changes of one workspace ("an owner remains" and friends). */
export async function lockWorkspace(db: Executor, id: string): Promise<WorkspaceRow | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id)).for('update');
  return row;
}

export async function updateWorkspace(db: Executor, id: string, patch: Partial<typeof workspaces.$inferInsert>): Promise<WorkspaceRow | undefined> {
  const [row] = await db.update(workspaces).set(patch).where(eq(workspaces.id, id)).returning();
  return row;
}

export async function listWorkspacesOfUser(db: Executor, userId: string) {
  return db
    .select({ workspace: workspaces, member: members })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.workspaceId))
    .where(and(eq(members.userId, userId), eq(members.status, 'active')))
    .orderBy(asc(sql`lower(${workspaces.name})`), asc(workspaces.id));
}

export async function insertTermsAcceptance(db: Executor, row: typeof tosAcceptances.$inferInsert): Promise<boolean> {
  const rows = await db.insert(tosAcceptances).values(row).onConflictDoNothing().returning({ id: tosAcceptances.id });
  return rows.length === 1;
}
