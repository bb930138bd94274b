import Bowser from 'bowser';
import type { Ctx } from '../../app/deps.js';
import { MINUTE } from '../../app/context.js';
import type { Executor } from '../../db/client.js';
import { DomainError } from '../../http/errors.js';
import { deriveToken, hashToken, randomToken, safeEqual } from '../../lib/crypto.js';
import { enqueue } from '../../jobs/outbox.js';
import { recordActivity } from '../activity/record.js';
import * as repo from './repo.js';

export const MAX_DEVICES = 20;
export const CODE_TTL_MS = 5 * MINUTE;
const MAX_CODE_ATTEMPTS = 5;
export const DEVICE_CODE_PURPOSE = 'device-approval';

export function describeUserAgent(userAgent: string | null | undefined): { browser: string | null; os: string | null; label: string } {
  if (!userAgent) return { browser: null, os: null, label: 'Unknown device' };
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name ?? null;
  const os = parsed.os.name ?? null;
  return { browser, os, label: browser && os ? `${browser} on ${os}` : (browser ?? os ?? 'Unknown device') };
}

/** A 6-digit code derived from the device id and the time it was issued: nothing secret stored (ADR 0002). */
export function deviceApprovalCode(key: Buffer, deviceId: string, issuedAt: Date): string {
  const digest = Buffer.from(deriveToken(key, DEVICE_CODE_PURPOSE, deviceId, issuedAt.toISOString()), 'base64url');
  return String(digest.readUInt32BE(0) % 1_000_000).padStart(6, '0');
}

export function presentDevice(d: repo.DeviceRow, currentDeviceId: string | null) {
  return {
    id: d.id,
    name: d.name,
    browser: d.browser,
    os: d.os,
    ip: d.ip,
    status: d.status as 'pending_approval' | 'approved' | 'removed',
    createdAt: d.createdAt,
    lastUsedAt: d.lastUsedAt,
    approvedAt: d.approvedAt,
    current: d.id === currentDeviceId,
  };
}

/**
 * Trusts the device the request comes from (a random id in the `gh_device` cookie, only its
 * hash stored). When one of the user's workspaces requires device approval, the device starts
 * `pending_approval` and a 6-digit code valid 5 minutes is emailed.
 */
export async function trustDevice(tx: Executor, ctx: Ctx, userId: string, input: { name?: string | undefined; approvalRequired: boolean }) {
  if ((await repo.countLiveDevices(tx, userId)) >= MAX_DEVICES) {
    throw new DomainError('device_limit', `At most ${MAX_DEVICES} trusted devices; remove one first`);
  }
  const now = ctx.clock.now();
  const token = randomToken((n) => ctx.random.bytes(n));
  const ua = describeUserAgent(ctx.meta.userAgent);
  const id = ctx.random.uuid();
  const device = await repo.insertDevice(tx, {
    id,
    userId,
    tokenHash: hashToken(token),
    name: input.name ?? ua.label,
    browser: ua.browser,
    os: ua.os,
    ip: ctx.meta.ip ?? null,
    status: input.approvalRequired ? 'pending_approval' : 'approved',
    approvalCodeExpiresAt: input.approvalRequired ? new Date(now.getTime() + CODE_TTL_MS) : null,
    approvalCodeHash: input.approvalRequired ? hashToken(deviceApprovalCode(ctx.keys.tokens, id, now)) : null,
    createdAt: now,
    lastUsedAt: now,
    approvedAt: input.approvalRequired ? null : now,
  });
  if (input.approvalRequired) await enqueue(tx, ctx, [{ kind: 'email.device_code', payload: { deviceId: id, issuedAt: now.toISOString() } }]);
  await recordActivity(tx, { ...ctx, userId }, [{ type: 'auth.device_trusted', subjectType: 'device', subjectId: id, data: { name: device.name, status: device.status } }]);
  return { device, token };
}

/** A trusted device skips the second factor only if it was approved after the current TOTP was enrolled. */
export async function deviceSkipsMfa(db: Executor, userId: string, deviceToken: string | undefined, totpConfirmedAt: Date, now: Date): Promise<boolean> {
  if (!deviceToken) return false;
  const device = await repo.findDeviceByToken(db, hashToken(deviceToken));
  if (!device || device.userId !== userId || device.status !== 'approved' || !device.approvedAt || device.createdAt < totpConfirmedAt) return false;
  await repo.updateDevice(db, userId, device.id, { lastUsedAt: now });
  return true;
}

export async function listDevices(ctx: Ctx, currentDeviceToken: string | undefined) {
  const rows = await repo.listDevices(ctx.db, ctx.userId!);
  const current = currentDeviceToken ? rows.find((d) => safeEqual(d.tokenHash, hashToken(currentDeviceToken)))?.id ?? null : null;
  return rows.map((d) => presentDevice(d, current));
}

export async function removeDevice(ctx: Ctx, id: string) {
  await ctx.db.transaction(async (tx) => {
    const device = await repo.findDevice(tx, ctx.userId!, id);
    if (!device) throw new DomainError('not_found', 'Device not found');
    if (device.status === 'removed') return;
    await repo.updateDevice(tx, ctx.userId!, id, { status: 'removed', removedAt: ctx.clock.now() });
    await recordActivity(tx, ctx, [{ type: 'auth.device_removed', subjectType: 'device', subjectId: id, data: { name: device.name } }]);
  });
}

export async function approveDevice(ctx: Ctx, id: string, code: string) {
  return ctx.db.transaction(async (tx) => {
    const device = await repo.findDevice(tx, ctx.userId!, id);
    if (!device) throw new DomainError('not_found', 'Device not found');
    if (device.status !== 'pending_approval') throw new DomainError('conflict', `This device is ${device.status}`);
    const now = ctx.clock.now();
    if (!device.approvalCodeExpiresAt || device.approvalCodeExpiresAt <= now || device.approvalAttempts >= MAX_CODE_ATTEMPTS) {
      throw new DomainError('device_code_expired', 'Ask for a new code');
    }
    if (!device.approvalCodeHash || !safeEqual(device.approvalCodeHash, hashToken(code))) {
      await repo.updateDevice(tx, ctx.userId!, id, { approvalAttempts: device.approvalAttempts + 1 });
      return { ok: false as const };
    }
    const updated = await repo.updateDevice(tx, ctx.userId!, id, { status: 'approved', approvedAt: now, approvalCodeHash: null, approvalCodeExpiresAt: null });
    await recordActivity(tx, ctx, [{ type: 'auth.device_approved', subjectType: 'device', subjectId: id, data: { name: device.name } }]);
    return { ok: true as const, device: updated! };
  }).then((r) => {
    if (!r.ok) throw new DomainError('invalid_mfa_code', 'That code is not right');
    return presentDevice(r.device, null);
  });
}

export async function resendDeviceCode(ctx: Ctx, id: string) {
  await ctx.db.transaction(async (tx) => {
    const device = await repo.findDevice(tx, ctx.userId!, id);
    if (!device) throw new DomainError('not_found', 'Device not found');
    if (device.status !== 'pending_approval') throw new DomainError('conflict', `This device is ${device.status}`);
    const now = ctx.clock.now();
    await repo.updateDevice(tx, ctx.userId!, id, { approvalCodeHash: hashToken(deviceApprovalCode(ctx.keys.tokens, id, now)), approvalCodeExpiresAt: new Date(now.getTime() + CODE_TTL_MS), approvalAttempts: 0 });
    await enqueue(tx, ctx, [{ kind: 'email.device_code', payload: { deviceId: id, issuedAt: now.toISOString() } }]);
  });
}
