import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { recoveryCodes, trustedDevices, userTotp } from '../../db/schema/index.js';

export type TotpRow = typeof userTotp.$inferSelect;
export type DeviceRow = typeof trustedDevices.$inferSelect;

export async function findTotp(db: Executor, userId: string): Promise<TotpRow | undefined> {
  const [row] = await db.select().from(userTotp).where(eq(userTotp.userId, userId));
  return row;
}

export async function upsertPendingTotp(db: Executor, userId: string, secretEncrypted: string, now: Date): Promise<void> {
  await db
    .insert(userTotp)
    .values({ userId, secretEncrypted, createdAt: now })
    .onConflictDoUpdate({ target: userTotp.userId, set: { secretEncrypted, createdAt: now, confirmedAt: null, lastUsedStep: null }, setWhere: isNull(userTotp.confirmedAt) });
}

/**
 * Records a used step with a compare-and-set, so of two requests carrying the same fresh code
 * exactly one wins (T-MFA-03), and a code never works twice.
 */
export async function consumeStep(db: Executor, userId: string, step: number, confirmAt?: Date): Promise<boolean> {
  const rows = await db
    .update(userTotp)
    .set({ lastUsedStep: step, ...(confirmAt ? { confirmedAt: confirmAt } : {}) })
    .where(and(eq(userTotp.userId, userId), sql`(${userTotp.lastUsedStep} is null or ${userTotp.lastUsedStep} < ${step})`, confirmAt ? isNull(userTotp.confirmedAt) : sql`${userTotp.confirmedAt} is not null`))
    .returning({ userId: userTotp.userId });
  return rows.length === 1;
}

export async function deleteTotp(db: Executor, userId: string): Promise<void> {
  await db.delete(userTotp).where(eq(userTotp.userId, userId));
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}

export async function replaceRecoveryCodes(db: Executor, userId: string, rows: { id: string; codeHash: string }[], now: Date): Promise<void> {
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.insert(recoveryCodes).values(rows.map((r) => ({ ...r, userId, createdAt: now })));
}

export async function useRecoveryCode(db: Executor, userId: string, codeHash: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return rows.length === 1;
}

export async function countUnusedRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return Number(row?.n ?? 0);
}

export async function insertDevice(db: Executor, row: typeof trustedDevices.$inferInsert): Promise<DeviceRow> {
  const [created] = await db.insert(trustedDevices).values(row).returning();
  return created!;
}

export async function listDevices(db: Executor, userId: string): Promise<DeviceRow[]> {
  return db.select().from(trustedDevices).where(eq(trustedDevices.userId, userId)).orderBy(trustedDevices.createdAt);
}

export async function countLiveDevices(db: Executor, userId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(trustedDevices).where(and(eq(trustedDevices.userId, userId), ne(trustedDevices.status, 'removed')));
  return Number(row?.n ?? 0);
}

export async function findDevice(db: Executor, userId: string, id: string): Promise<DeviceRow | undefined> {
  const [row] = await db.select().from(trustedDevices).where(and(eq(trustedDevices.userId, userId), eq(trustedDevices.id, id)));
  return row;
}

export async function findDeviceById(db: Executor, id: string): Promise<DeviceRow | undefined> {
  const [row] = await db.select().from(trustedDevices).where(eq(trustedDevices.id, id));
  return row;
}

export async function findDeviceByToken(db: Executor, tokenHash: string): Promise<DeviceRow | undefined> {
  const [row] = await db.select().from(trustedDevices).where(eq(trustedDevices.tokenHash, tokenHash));
  return row;
}

export async function updateDevice(db: Executor, userId: string, id: string, patch: Partial<typeof trustedDevices.$inferInsert>): Promise<DeviceRow | undefined> {
  const [row] = await db.update(trustedDevices).set(patch).where(and(eq(trustedDevices.userId, userId), eq(trustedDevices.id, id))).returning();
  return row;
}

export async function removeAllDevices(db: Executor, userId: string, now: Date): Promise<void> {
  await db.update(trustedDevices).set({ status: 'removed', removedAt: now }).where(and(eq(trustedDevices.userId, userId), ne(trustedDevices.status, 'removed')));
}
