import type { Ctx } from '../../app/deps.js';
import { DomainError } from '../../http/errors.js';
import { emailDomain } from '../../lib/email-address.js';
import type { ActivityInput } from '../activity/events.js';
import { recordActivity } from '../activity/record.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../auth/passwords.js';
import * as authRepo from '../auth/repo.js';
import { issueSession } from '../auth/sessions.js';
import { removeAllDevices } from '../mfa/repo.js';
import { acceptProvisionedInvitations, createInvitations, expireUnusedTemporaryPasswords, resendRow, assertBatchSize, invitationTransaction } from '../invitations/service.js';
import * as invitationsRepo from '../invitations/repo.js';
import { enforce, loadActor } from '../members/actor.js';
import { allowed, type PartnerRole, type TargetMember } from '../members/policy.js';
import * as membersRepo from '../members/repo.js';
import type { Role } from '../members/roles.js';
import { lockWorkspace } from '../workspaces/repo.js';
import { canChangePartnerRole, canInviteToPartner, canManagePartners, canRemovePartnerGuest, canViewPartner, seesWholePartner } from './policy.js';
import * as repo from './repo.js';

function presentPartner(row: Awaited<ReturnType<typeof repo.listPartners>>[number]) {
  return { id: row.partner.id, name: row.partner.name, createdAt: row.partner.createdAt, guestAdmins: Number(row.guestAdmins), guestUsers: Number(row.guestUsers) };
}

/** Admins see every local partner; a partner's guests see their own; nobody else sees any. */
export async function listPartners(ctx: Ctx, workspaceId: string) {
  const { actor } = await loadActor(ctx.db, ctx, workspaceId);
  if (allowed(canManagePartners(actor))) return (await repo.listPartners(ctx.db, workspaceId)).map(presentPartner);
  if (actor.partner) return (await repo.listPartners(ctx.db, workspaceId, actor.partner.id)).map(presentPartner);
  throw new DomainError('forbidden');
}

/**
 * Creates a local partner and invites its first Guest Admin. Host and Guest Admin must be on
 * different email domains (Cerby): a partner is an outside company.
 */
export async function createPartner(ctx: Ctx, workspaceId: string, input: { name: string; guestAdminEmail: string }) {
  return invitationTransaction(ctx, async (tx) => {
    const { actor, workspace } = await loadActor(tx, ctx, workspaceId);
    enforce(canManagePartners(actor));
    const host = (await authRepo.findUserById(tx, actor.userId))!;
    if (emailDomain(host.email) === emailDomain(input.guestAdminEmail)) throw new DomainError('same_domain_guest_admin');
    const partner = await repo.insertPartner(tx, { id: ctx.random.uuid(), workspaceId, name: input.name, createdByUserId: actor.userId, createdAt: ctx.clock.now() });
    if (!partner) throw new DomainError('partner_name_taken');
    await recordActivity(tx, ctx, [{ type: 'partner.created', workspaceId, subjectType: 'local_partner', subjectId: partner.id, data: { name: partner.name, guestAdminEmail: input.guestAdminEmail } }]);
    const invitation = await createInvitations(tx, ctx, actor, workspace, { emails: [input.guestAdminEmail], role: 'guest', localPartnerId: partner.id, partnerRole: 'guest_admin' });
    return { partner: { id: partner.id, name: partner.name, createdAt: partner.createdAt, guestAdmins: 0, guestUsers: 0 }, invitation };
  });
}

export async function getPartner(ctx: Ctx, workspaceId: string, partnerId: string) {
  const { actor } = await loadActor(ctx.db, ctx, workspaceId);
  const [row] = await repo.listPartners(ctx.db, workspaceId, partnerId);
  if (!row) throw new DomainError('not_found', 'Local partner not found');
  enforce(canViewPartner(actor, partnerId));
  const whole = seesWholePartner(actor, partnerId);
  // A Guest User sees who runs their partner (its Guest Admins) and themselves, nothing more.
  const guests = (await repo.partnerMembers(ctx.db, workspaceId, partnerId)).filter((g) => whole || g.member.partnerRole === 'guest_admin' || g.member.id === actor.memberId);
  const invitations = whole ? await repo.partnerPendingInvitations(ctx.db, workspaceId, partnerId, ctx.clock.now()) : [];
  return {
    ...presentPartner(row),
    guests: guests.map((g) => {
      const target = { ...targetOf(g.member), partnerId, partnerRole: g.member.partnerRole as PartnerRole };
      return {
        memberId: g.member.id,
        userId: g.user.id,
        email: g.user.email,
        name: g.user.name,
        partnerRole: g.member.partnerRole as PartnerRole,
        joinedAt: g.member.createdAt,
        abilities: { remove: allowed(canRemovePartnerGuest(actor, partnerId, target)), changeRole: allowed(canChangePartnerRole(actor)) },
      };
    }),
    invitations: invitations.map((i) => ({
      id: i.id,
      email: i.emailDisplay,
      partnerRole: (i.partnerRole ?? 'guest_user') as PartnerRole,
      expiresAt: i.expiresAt,
      createdAt: i.createdAt,
      abilities: { resend: allowed(canInviteToPartner(actor, partnerId, (i.partnerRole ?? 'guest_user') as PartnerRole)) },
    })),
  };
}

function targetOf(m: membersRepo.MemberRow): TargetMember {
  return { userId: m.userId, memberId: m.id, role: m.role as Role, status: m.status as TargetMember['status'] };
}

export async function invitePartnerGuests(ctx: Ctx, workspaceId: string, partnerId: string, input: { emails: string[]; partnerRole: PartnerRole }) {
  assertBatchSize(ctx, input.emails.length);
  return invitationTransaction(ctx, async (tx) => {
    const { actor, workspace } = await loadActor(tx, ctx, workspaceId);
    if (!(await repo.findActivePartner(tx, workspaceId, partnerId))) throw new DomainError('not_found', 'Local partner not found');
    enforce(canInviteToPartner(actor, partnerId, input.partnerRole));
    return createInvitations(tx, ctx, actor, workspace, { emails: input.emails, role: 'guest', localPartnerId: partnerId, partnerRole: input.partnerRole });
  });
}

export async function resendPartnerInvitation(ctx: Ctx, workspaceId: string, partnerId: string, invitationId: string) {
  return ctx.db.transaction(async (tx) => {
    const { actor, workspace } = await loadActor(tx, ctx, workspaceId);
    const row = await invitationsRepo.findByIdForUpdate(tx, workspaceId, invitationId);
    if (!row || row.localPartnerId !== partnerId) throw new DomainError('not_found', 'Invitation not found');
    enforce(canInviteToPartner(actor, partnerId, (row.partnerRole ?? 'guest_user') as PartnerRole));
    return resendRow(tx, ctx, actor, workspace, row);
  });
}

/** A guest removed from a partner leaves the workspace: status removed, access ends at once. */
export async function removePartnerGuest(ctx: Ctx, workspaceId: string, partnerId: string, memberId: string) {
  await ctx.db.transaction(async (tx) => {
    await loadActor(tx, ctx, workspaceId);
    await lockWorkspace(tx, workspaceId);
    const { actor } = await loadActor(tx, ctx, workspaceId);
    const row = await membersRepo.findMember(tx, workspaceId, memberId);
    if (!row || row.member.status !== 'active') throw new DomainError('not_found', 'Guest not found');
    enforce(canRemovePartnerGuest(actor, partnerId, { ...targetOf(row.member), partnerId: row.member.localPartnerId, partnerRole: row.member.partnerRole as PartnerRole | null }));
    const now = ctx.clock.now();
    await membersRepo.updateMember(tx, workspaceId, memberId, { status: 'removed', removedAt: now, updatedAt: now });
    const revoked = await invitationsRepo.revokePendingInvitationsFor(tx, workspaceId, row.user.email, now);
    await recordActivity(tx, ctx, [{ type: 'guest.removed', workspaceId, targetUserId: row.member.userId, subjectType: 'member', subjectId: memberId, data: { localPartnerId: partnerId, revokedInvitations: revoked } }]);
  });
}

export async function changePartnerRole(ctx: Ctx, workspaceId: string, partnerId: string, memberId: string, partnerRole: PartnerRole) {
  await ctx.db.transaction(async (tx) => {
    const { actor } = await loadActor(tx, ctx, workspaceId);
    enforce(canChangePartnerRole(actor));
    const row = await membersRepo.findMember(tx, workspaceId, memberId);
    if (!row || row.member.localPartnerId !== partnerId || row.member.status !== 'active') throw new DomainError('not_found', 'Guest not found');
    if (row.member.partnerRole === partnerRole) return;
    await membersRepo.updateMember(tx, workspaceId, memberId, { partnerRole, updatedAt: ctx.clock.now() });
    await recordActivity(tx, ctx, [{ type: 'partner.member_role_changed', workspaceId, targetUserId: row.member.userId, subjectType: 'member', subjectId: memberId, data: { localPartnerId: partnerId, from: row.member.partnerRole, to: partnerRole } }]);
  });
}

/** Removing a local partner deactivates all its guests and withdraws its pending invitations (Cerby). */
export async function removePartner(ctx: Ctx, workspaceId: string, partnerId: string) {
  await ctx.db.transaction(async (tx) => {
    const { actor } = await loadActor(tx, ctx, workspaceId);
    enforce(canManagePartners(actor));
    await lockWorkspace(tx, workspaceId);
    const now = ctx.clock.now();
    const partner = await repo.markPartnerRemoved(tx, workspaceId, partnerId, now);
    if (!partner) throw new DomainError('not_found', 'Local partner not found');
    const removed = await repo.removePartnerMembers(tx, workspaceId, partnerId, now);
    const revoked = await repo.revokePartnerInvitations(tx, workspaceId, partnerId, now);
    await expireUnusedTemporaryPasswords(tx, revoked.map((r) => r.provisionedUserId), now);
    const events: ActivityInput[] = [
      { type: 'partner.removed', workspaceId, subjectType: 'local_partner', subjectId: partnerId, data: { name: partner.name, guestsRemoved: removed.length, invitationsRevoked: revoked.length } },
      ...removed.map((m): ActivityInput => ({ type: 'guest.removed', workspaceId, targetUserId: m.userId, subjectType: 'member', subjectId: m.id, data: { localPartnerId: partnerId, reason: 'partner_removed' } })),
    ];
    await recordActivity(tx, ctx, events);
  });
}

/**
 * The forced first step of a guest who signed in with a temporary password (seed 001): a new
 * password (twice in the UI, different from the temporary one, meeting the policy), name and
 * family name. Ends every other session, rotates this one, verifies the address (the temporary
 * password was delivered to it) and accepts the guest invitations that created the account.
 */
export async function completeGuestSetup(ctx: Ctx, input: { newPassword: string; name: string; familyName: string }) {
  const user = (await authRepo.findUserById(ctx.db, ctx.userId!))!;
  if (!user.mustChangePassword) throw new DomainError('conflict', 'Your account is already set up');
  if (await verifyPassword(user.passwordHash, input.newPassword)) throw new DomainError('weak_password', 'Choose a password different from the temporary one', { errors: [{ path: 'body.newPassword', message: 'Same as the temporary password' }] });
  await checkPasswordPolicy(input.newPassword, { email: user.email, name: `${input.name} ${input.familyName}` });
  const passwordHash = await hashPassword(input.newPassword);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const updated = (await authRepo.updateUser(tx, user.id, {
      passwordHash,
      name: input.name,
      familyName: input.familyName,
      mustChangePassword: false,
      tempPasswordExpiresAt: null,
      passwordChangedAt: now,
      emailVerifiedAt: user.emailVerifiedAt ?? now,
      updatedAt: now,
    }))!;
    await authRepo.revokeAllSessions(tx, user.id, now);
    await removeAllDevices(tx, user.id, now);
    const session = await issueSession(tx, ctx, user.id);
    await recordActivity(tx, ctx, [
      { type: 'auth.password_changed', subjectType: 'user', subjectId: user.id, data: { from: 'temporary_password' } },
      { type: 'auth.setup_completed', subjectType: 'user', subjectId: user.id },
    ]);
    const joined = await acceptProvisionedInvitations(tx, ctx, updated);
    return { user: updated, session, joinedWorkspaceIds: joined };
  });
}
