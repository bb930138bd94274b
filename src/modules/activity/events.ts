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
  subjectType?: 'workspace' | 'member' | 'invitation' | 'location' | 'user' | 'api_token' | 'outbox' | null;
  subjectId?: string | null;
  data?: Record<string, unknown>;
}
