/**
 * The invitation state machine as data: the service consults it, the tests enumerate it.
 * `expired` is also *derived*: a `pending` row past its expiry behaves as `expired` without
 * any background job, and is written as `expired` the next time something touches it.
 */
export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const INVITATION_EVENTS = ['accept', 'decline', 'revoke', 'resend', 'expire'] as const;
export type InvitationEvent = (typeof INVITATION_EVENTS)[number];

export const TRANSITIONS: Record<InvitationStatus, Partial<Record<InvitationEvent, InvitationStatus>>> = {
  pending: { accept: 'accepted', decline: 'declined', revoke: 'revoked', resend: 'pending', expire: 'expired' },
  // An expired invitation can be sent again (fresh link, fresh expiry) or withdrawn.
  expired: { resend: 'pending', revoke: 'revoked' },
  accepted: {},
  declined: {},
  revoked: {},
};

export function nextStatus(from: InvitationStatus, event: InvitationEvent): InvitationStatus | null {
  return TRANSITIONS[from][event] ?? null;
}

export function effectiveStatus(row: { status: string; expiresAt: Date }, now: Date): InvitationStatus {
  const status = row.status as InvitationStatus;
  return status === 'pending' && row.expiresAt.getTime() <= now.getTime() ? 'expired' : status;
}

/** The 410 code a link answers with once its invitation is no longer usable. */
export function goneCode(status: InvitationStatus) {
  switch (status) {
    case 'accepted':
      return 'invitation_used' as const;
    case 'declined':
      return 'invitation_declined' as const;
    case 'revoked':
      return 'invitation_revoked' as const;
    case 'expired':
      return 'invitation_expired' as const;
    case 'pending':
      return null;
  }
}

/** Reasons a bulk row is skipped, as the API reports them. */
export const SKIP_REASONS = ['invalid', 'duplicate', 'already_member', 'already_pending', 'domain_not_allowed', 'company_domain'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
