/** Every activity event type Gatehouse records. Adding one is a compile-time change. */
export const ACTIVITY_TYPES = [
  'auth.signed_up',
  'auth.signed_in',
  'auth.sign_in_failed',
  'auth.signed_out',
  'auth.email_verified',
  'auth.verification_sent',
  'auth.password_changed',
  'auth.api_token_created',
  'auth.api_token_revoked',
  'auth.session_revoked',
  'auth.mfa_enabled',
  'auth.mfa_disabled',
  'auth.mfa_failed',
  'auth.mfa_replay_rejected',
  'auth.recovery_code_used',
  'auth.recovery_codes_regenerated',
  'auth.device_trusted',
  'auth.device_approved',
  'auth.device_removed',
  'auth.temporary_password_issued',
  'auth.setup_completed',
  'workspace.terms_updated',
  'workspace.terms_accepted',
  'partner.created',
  'partner.removed',
  'partner.member_role_changed',
  'guest.removed',
  'workspace.created',
  'workspace.updated',
  'workspace.ownership_transferred',
  'member.joined',
  'member.role_changed',
  'member.locations_changed',
  'member.removed',
  'member.left',
  'location.created',
  'location.renamed',
  'location.deleted',
  'invitation.created',
  'invitation.resent',
  'invitation.revoked',
  'invitation.declined',
  'invitation.accepted',
  'email.dead_lettered',
] as const;

export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export interface ActivityInput {
  type: ActivityType;
  workspaceId?: string | null;
  /** Defaults to the ctx's user. */
  actorUserId?: string | null;
  targetUserId?: string | null;
  subjectType?: 'workspace' | 'member' | 'invitation' | 'location' | 'user' | 'api_token' | 'outbox' | 'device' | 'local_partner' | null;
  subjectId?: string | null;
  data?: Record<string, unknown>;
}
