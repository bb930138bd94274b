import { DomainError } from '../../http/errors.js';
import { isAdminRole, roleRank, type InvitableRole, type Role } from './roles.js';

/**
 * Who may do what to whom inside one workspace. Pure functions: `(actor, target) → null | DomainError`.
 * The services call these before every change, and the same functions fill the `abilities` maps
 * the API returns, so the web app never re-implements a rule.
 */
export interface Actor {
  userId: string;
  memberId: string;
  role: Role;
  /** For guests of a local partner: which partner, and Guest Admin or Guest User. */
  partner?: { id: string; role: PartnerRole } | null;
}

export type PartnerRole = 'guest_admin' | 'guest_user';

export interface TargetMember {
  userId: string;
  memberId: string;
  role: Role;
  status: 'pending' | 'active' | 'removed';
}

export interface WorkspaceRules {
  guestInvitesAdminOnly: boolean;
}

export type Denial = DomainError | null;

const deny = (code: 'forbidden' | 'role_ceiling' | 'last_owner', detail?: string) => new DomainError(code, detail);

/** May `actor` grant `role` to someone (invite, change role)? The role ceiling. */
export function canGrantRole(actor: Actor, role: Role): Denial {
  if (role === 'owner') return deny('role_ceiling', 'Ownership is transferred, never granted');
  if (role === 'super_admin' && actor.role !== 'owner') return deny('role_ceiling', 'Only the owner can make super admins');
  if (roleRank(role) > roleRank(actor.role)) return deny('role_ceiling');
  return null;
}

/** May `actor` send invitations with `role`? (SPEC "Who invites") */
export function canInvite(actor: Actor, role: InvitableRole, rules: WorkspaceRules): Denial {
  if (role === 'guest') {
    if (rules.guestInvitesAdminOnly ? !isAdminRole(actor.role) : roleRank(actor.role) < roleRank('user')) {
      return deny('forbidden', rules.guestInvitesAdminOnly ? 'Only admins may invite guests in this workspace' : 'Your role cannot invite guests');
    }
    return null;
  }
  if (!isAdminRole(actor.role)) return deny('forbidden', 'Only admins can invite members');
  return canGrantRole(actor, role);
}

/** May `actor` resend or revoke an invitation? Admins manage all; others only the guest invites they sent. */
export function canManageInvitation(actor: Actor, invitation: { role: InvitableRole; inviterUserId: string | null }, rules: WorkspaceRules): Denial {
  if (isAdminRole(actor.role)) return canGrantRole(actor, invitation.role);
  if (invitation.role === 'guest' && invitation.inviterUserId === actor.userId) return canInvite(actor, 'guest', rules);
  return deny('forbidden');
}

export function canListInvitations(actor: Actor): Denial {
  return roleRank(actor.role) >= roleRank('user') ? null : deny('forbidden');
}

/** Members list: Cerby limits All Members to admins; users see it too (they invite guests). */
export function canListMembers(actor: Actor): Denial {
  return roleRank(actor.role) >= roleRank('user') ? null : deny('forbidden');
}

/**
 * May the actor act on this member at all? The owner on anyone; nobody on the owner; super admins
 * are made and unmade by the owner only; otherwise anyone at or below your own level, so admins
 * manage each other (Aranet: administrators are equal to the owner except over the owner).
 */
function outranks(actor: Actor, target: TargetMember): boolean {
  if (target.role === 'owner') return false;
  if (actor.role === 'owner') return true;
  if (target.role === 'super_admin') return false;
  return roleRank(actor.role) >= roleRank(target.role);
}

/**
 * Changing a member's role. The owner's own role never changes here (409 `last_owner`: transfer
 * ownership instead); anyone else acting on the owner is simply not allowed (403, T-ROLE-03).
 */
export function canChangeRole(actor: Actor, target: TargetMember, newRole: Role): Denial {
  if (target.status === 'removed') return new DomainError('conflict', 'This member was removed; invite them again');
  const self = actor.memberId === target.memberId;
  if (self) {
    if (target.role === 'owner') return deny('last_owner', 'Transfer ownership instead of changing your own role');
    // Stepping down is always allowed; stepping up never is.
    return roleRank(newRole) <= roleRank(actor.role) && newRole !== 'owner' ? null : deny('role_ceiling');
  }
  if (!isAdminRole(actor.role)) return deny('forbidden');
  if (!outranks(actor, target)) return deny('role_ceiling', target.role === 'owner' ? 'Nobody can change the owner’s role; the owner transfers ownership' : 'You cannot change the role of someone above your level');
  return canGrantRole(actor, newRole);
}

/** Removing someone else, or leaving. The owner cannot leave (409 `last_owner`) and cannot be removed (403). */
export function canRemoveMember(actor: Actor, target: TargetMember): Denial {
  if (actor.memberId === target.memberId) return target.role === 'owner' ? deny('last_owner', 'Transfer ownership before you leave') : null;
  if (!isAdminRole(actor.role)) return deny('forbidden');
  if (!outranks(actor, target)) return deny('role_ceiling', target.role === 'owner' ? 'The owner cannot be removed' : 'You cannot remove someone above your level');
  return null;
}

export function canTransferOwnership(actor: Actor): Denial {
  return actor.role === 'owner' ? null : deny('forbidden', 'Only the owner can transfer ownership');
}

export function canManageWorkspace(actor: Actor): Denial {
  return isAdminRole(actor.role) ? null : deny('forbidden');
}

export function canViewActivity(actor: Actor): Denial {
  return isAdminRole(actor.role) ? null : deny('forbidden');
}

export function canManageLocations(actor: Actor): Denial {
  return isAdminRole(actor.role) ? null : deny('forbidden');
}

export function allowed(denial: Denial): boolean {
  return denial === null;
}

export function memberAbilities(actor: Actor, target: TargetMember) {
  return {
    changeRole: target.status !== 'removed' && target.role !== 'owner' && (actor.memberId === target.memberId || (isAdminRole(actor.role) && outranks(actor, target))),
    remove: target.status !== 'removed' && allowed(canRemoveMember(actor, target)),
    transferOwnership: actor.role === 'owner' && target.memberId !== actor.memberId && target.status === 'active' && target.role !== 'guest',
    /** Roles this actor could set on this member. */
    assignableRoles: target.status === 'removed' || target.role === 'owner' ? [] : (['super_admin', 'admin', 'user', 'login_only', 'guest'] as const).filter((r) => allowed(canChangeRole(actor, target, r))),
  };
}
