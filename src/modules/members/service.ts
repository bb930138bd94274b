import type { Ctx } from '../../app/deps.js';
import type { Executor } from '../../db/client.js';
import { DomainError } from '../../http/errors.js';
import { decodeCursor, pageOf } from '../../http/pagination.js';
import { recordActivity } from '../activity/record.js';
import { revokePendingInvitationsFor } from '../invitations/repo.js';
import { assertLocationsExist } from '../locations/repo.js';
import { lockWorkspace } from '../workspaces/repo.js';
import { partnerNames } from '../guests/repo.js';
import { enforce, loadActor } from './actor.js';
import { canChangeRole, canListMembers, canRemoveMember, canTransferOwnership, memberAbilities, type Actor, type TargetMember } from './policy.js';
import * as repo from './repo.js';
import { memberTypeForRole, roleTakesLocations, type Role } from './roles.js';

type MemberWithUser = NonNullable<Awaited<ReturnType<typeof repo.findMember>>>;

function target(m: repo.MemberRow): TargetMember {
  return { userId: m.userId, memberId: m.id, role: m.role as Role, status: m.status as TargetMember['status'] };
}

export function presentMember(actor: Actor, row: MemberWithUser, locs: { id: string; name: string }[], partnerNames: Map<string, string> = new Map()) {
  const m = row.member;
  const partner = m.localPartnerId ? { id: m.localPartnerId, name: partnerNames.get(m.localPartnerId) ?? '', role: (m.partnerRole ?? 'guest_user') as 'guest_admin' | 'guest_user' } : null;
  return {
    id: m.id,
    userId: m.userId,
    email: row.user.email,
    name: row.user.name,
    role: m.role as Role,
    type: m.type as 'member' | 'guest',
    status: m.status as 'pending' | 'active' | 'removed',
    locations: locs,
    partner,
    joinedAt: m.createdAt,
    removedAt: m.removedAt,
    abilities: memberAbilities(actor, target(m)),
  };
}

export interface ListMembersInput {
  cursor?: string | undefined;
  limit: number;
  role?: Role[] | undefined;
  status?: string[] | undefined;
  type?: string[] | undefined;
  q?: string | undefined;
}

export async function listMembers(ctx: Ctx, workspaceId: string, input: ListMembersInput) {
  const { actor } = await loadActor(ctx.db, ctx, workspaceId);
  enforce(canListMembers(actor));
  const rows = await repo.listMembers(ctx.db, {
    workspaceId,
    roles: input.role,
    statuses: input.status,
    types: input.type,
    q: input.q,
    after: decodeCursor(input.cursor),
    limit: input.limit,
  });
  const page = pageOf(rows.map((r) => ({ ...r, createdAt: r.member.createdAt, id: r.member.id })), input.limit);
  const locs = await repo.locationsOfMembers(ctx.db, workspaceId, page.items.map((r) => r.member.id));
  const partners = await partnerNames(ctx.db, [...new Set(page.items.map((r) => r.member.localPartnerId).filter((id): id is string => !!id))]);
  return { items: page.items.map((r) => presentMember(actor, r, locs.get(r.member.id) ?? [], partners)), nextCursor: page.nextCursor };
}

export async function getMember(ctx: Ctx, workspaceId: string, memberId: string) {
  const { actor } = await loadActor(ctx.db, ctx, workspaceId);
  if (actor.memberId !== memberId) enforce(canListMembers(actor));
  const row = await repo.findMember(ctx.db, workspaceId, memberId);
  if (!row) throw new DomainError('not_found', 'Member not found');
  const locs = await repo.locationsOfMembers(ctx.db, workspaceId, [memberId]);
  return presentMember(actor, row, locs.get(memberId) ?? []);
}

/**
 * Every membership change starts by locking the workspace row, then re-reads actor and
 * target inside the transaction: two admins acting at once are applied one after the other,
 * each against the other's result.
 */
async function withMembershipLock<T>(ctx: Ctx, workspaceId: string, memberId: string, fn: (tx: Executor, actor: Actor, target: MemberWithUser) => Promise<T>): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    await loadActor(tx, ctx, workspaceId); // outsiders get their 404 before any lock is taken
    await lockWorkspace(tx, workspaceId);
    const { actor } = await loadActor(tx, ctx, workspaceId);
    const row = await repo.findMember(tx, workspaceId, memberId);
    if (!row) throw new DomainError('not_found', 'Member not found');
    return fn(tx, actor, row);
  });
}

export async function updateMember(ctx: Ctx, workspaceId: string, memberId: string, input: { role?: Role | undefined; locationIds?: string[] | undefined }) {
  return withMembershipLock(ctx, workspaceId, memberId, async (tx, actor, row) => {
    const before = row.member;
    // The answer carries the member's details: never to someone who may not read them (a no-op PATCH).
    if (actor.memberId !== before.id) enforce(canListMembers(actor));
    const newRole = input.role ?? (before.role as Role);
    if (input.role && input.role !== before.role) enforce(canChangeRole(actor, target(before), input.role));
    if (input.locationIds !== undefined) {
      // Changing someone's locations is a change of their access: same rule as a role change.
      enforce(canChangeRole(actor, target(before), newRole));
      if (actor.memberId === before.id && input.role === undefined) throw new DomainError('forbidden', 'You cannot change your own locations');
    }
    const now = ctx.clock.now();
    const events: Parameters<typeof recordActivity>[2] = [];
    let updated = before;
    if (input.role && input.role !== before.role) {
      updated = (await repo.updateMember(tx, workspaceId, memberId, { role: input.role, type: memberTypeForRole(input.role), updatedAt: now }))!;
      events.push({ type: 'member.role_changed', workspaceId, targetUserId: before.userId, subjectType: 'member', subjectId: memberId, data: { from: before.role, to: input.role } });
    }
    const locationIds = input.locationIds ? [...new Set(input.locationIds)] : roleTakesLocations(newRole) ? undefined : [];
    if (locationIds !== undefined) {
      if (locationIds.length && !roleTakesLocations(newRole)) throw new DomainError('unprocessable', 'Only users and guests are limited to locations');
      await assertLocationsExist(tx, workspaceId, locationIds);
      await repo.setMemberLocations(tx, workspaceId, memberId, locationIds);
      if (input.locationIds !== undefined) {
        events.push({ type: 'member.locations_changed', workspaceId, targetUserId: before.userId, subjectType: 'member', subjectId: memberId, data: { locationIds } });
      }
    }
    await recordActivity(tx, ctx, events);
    const locs = await repo.locationsOfMembers(tx, workspaceId, [memberId]);
    return presentMember(actor, { member: updated, user: row.user }, locs.get(memberId) ?? []);
  });
}

/** Removal disables the membership (kept for the record); the person loses access at once. */
export async function removeMember(ctx: Ctx, workspaceId: string, memberId: string) {
  return withMembershipLock(ctx, workspaceId, memberId, async (tx, actor, row) => {
    const m = row.member;
    if (m.status === 'removed') return;
    enforce(canRemoveMember(actor, target(m)));
    const now = ctx.clock.now();
    await repo.updateMember(tx, workspaceId, memberId, { status: 'removed', removedAt: now, updatedAt: now });
    await repo.setMemberLocations(tx, workspaceId, memberId, []);
    // Pending invitations to the same person must not let them walk back in.
    const revoked = await revokePendingInvitationsFor(tx, workspaceId, row.user.email, now);
    const self = actor.memberId === m.id;
    await recordActivity(tx, ctx, [
      { type: self ? 'member.left' : 'member.removed', workspaceId, targetUserId: m.userId, subjectType: 'member', subjectId: m.id, data: { role: m.role, revokedInvitations: revoked } },
    ]);
  });
}

/** Aranet: the owner hands the workspace to another active member and becomes an administrator. */
export async function transferOwnership(ctx: Ctx, workspaceId: string, input: { memberId: string }) {
  return withMembershipLock(ctx, workspaceId, input.memberId, async (tx, actor, row) => {
    enforce(canTransferOwnership(actor));
    const next = row.member;
    if (next.id === actor.memberId || next.status !== 'active' || next.type !== 'member') throw new DomainError('invalid_ownership_target');
    const now = ctx.clock.now();
    // Demote first: the partial unique index allows one active owner at any instant.
    await repo.updateMember(tx, workspaceId, actor.memberId, { role: 'admin', updatedAt: now });
    await repo.updateMember(tx, workspaceId, next.id, { role: 'owner', updatedAt: now });
    await repo.setMemberLocations(tx, workspaceId, next.id, []);
    await recordActivity(tx, ctx, [
      { type: 'workspace.ownership_transferred', workspaceId, targetUserId: next.userId, subjectType: 'member', subjectId: next.id, data: { fromUserId: actor.userId, previousRole: next.role } },
    ]);
  });
}
