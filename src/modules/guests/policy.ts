import { DomainError } from '../../http/errors.js';
import type { Actor, Denial, PartnerRole, TargetMember } from '../members/policy.js';
import { isAdminRole } from '../members/roles.js';

/**
 * Local partners (Cerby): host admins run every partner; a partner's Guest Admins manage that
 * partner's Guest Users and nothing else; Guest Users manage nothing.
 */
const guestAdminOf = (actor: Actor, partnerId: string) => actor.partner?.id === partnerId && actor.partner.role === 'guest_admin';

export function canManagePartners(actor: Actor): Denial {
  return isAdminRole(actor.role) ? null : new DomainError('forbidden', 'Only admins manage local partners');
}

/** Admins and the partner's own guests may open a partner; Guest Users see only its Guest Admins and themselves. */
export function canViewPartner(actor: Actor, partnerId: string): Denial {
  return isAdminRole(actor.role) || actor.partner?.id === partnerId ? null : new DomainError('forbidden');
}

/** Whether the viewer sees every guest and pending invitation of the partner, or only its Guest Admins. */
export function seesWholePartner(actor: Actor, partnerId: string): boolean {
  return isAdminRole(actor.role) || guestAdminOf(actor, partnerId);
}

export function canInviteToPartner(actor: Actor, partnerId: string, partnerRole: PartnerRole): Denial {
  if (isAdminRole(actor.role)) return null;
  if (guestAdminOf(actor, partnerId)) return partnerRole === 'guest_user' ? null : new DomainError('role_ceiling', 'Guest Admins invite Guest Users only');
  return new DomainError('forbidden');
}

export function canRemovePartnerGuest(actor: Actor, partnerId: string, target: TargetMember & { partnerId: string | null; partnerRole: PartnerRole | null }): Denial {
  if (target.partnerId !== partnerId) return new DomainError('not_found', 'Guest not found in this partner');
  if (isAdminRole(actor.role)) return null;
  if (!guestAdminOf(actor, partnerId)) return new DomainError('forbidden');
  if (target.memberId === actor.memberId) return new DomainError('forbidden', 'Guest Admins cannot remove themselves');
  if (target.partnerRole !== 'guest_user') return new DomainError('forbidden', 'Guest Admins remove Guest Users only');
  return null;
}

export function canChangePartnerRole(actor: Actor): Denial {
  return isAdminRole(actor.role) ? null : new DomainError('forbidden', 'Only host admins change partner roles');
}
