import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { locations, memberLocations } from '../../db/schema/index.js';
import { DomainError } from '../../http/errors.js';

export type LocationRow = typeof locations.$inferSelect;

export async function listLocations(db: Executor, workspaceId: string) {
  return db
    .select({ id: locations.id, name: locations.name, createdAt: locations.createdAt, memberCount: sql<number>`(select count(*)::int from ${memberLocations} ml where ml.location_id = ${locations.id})` })
    .from(locations)
    .where(eq(locations.workspaceId, workspaceId))
    .orderBy(asc(sql`lower(${locations.name})`));
}

export async function findLocation(db: Executor, workspaceId: string, id: string): Promise<LocationRow | undefined> {
  const [row] = await db.select().from(locations).where(and(eq(locations.workspaceId, workspaceId), eq(locations.id, id)));
  return row;
}

export async function insertLocation(db: Executor, row: typeof locations.$inferInsert): Promise<LocationRow | undefined> {
  const [created] = await db.insert(locations).values(row).onConflictDoNothing().returning();
  return created;
}

export async function renameLocation(db: Executor, workspaceId: string, id: string, name: string): Promise<LocationRow | undefined> {
  const [row] = await db.update(locations).set({ name }).where(and(eq(locations.workspaceId, workspaceId), eq(locations.id, id))).returning();
  return row;
}

export async function deleteLocation(db: Executor, workspaceId: string, id: string): Promise<LocationRow | undefined> {
  const [row] = await db.delete(locations).where(and(eq(locations.workspaceId, workspaceId), eq(locations.id, id))).returning();
  return row;
}

/** Location ids given by a caller must all belong to this workspace (422 otherwise). */
export async function assertLocationsExist(db: Executor, workspaceId: string, ids: string[]): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const rows = await db.select({ id: locations.id }).from(locations).where(and(eq(locations.workspaceId, workspaceId), inArray(locations.id, unique)));
  if (rows.length !== unique.length) throw new DomainError('unknown_location');
}
