import { z } from 'zod';
import { INVITABLE_ROLES } from '../members/roles.js';
import { INVITATION_STATUSES, SKIP_REASONS } from './state.js';

export const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(INVITABLE_ROLES),
    type: z.enum(['member', 'guest']),
    status: z.enum(INVITATION_STATUSES),
    locationIds: z.array(z.uuid()),
    inviter: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    expiresAt: z.date(),
    createdAt: z.date(),
    lastSentAt: z.date(),
    resendCount: z.number().int(),
    resendAvailableAt: z.date(),
    respondedAt: z.date().nullable(),
    abilities: z.object({ resend: z.boolean(), revoke: z.boolean() }),
  })
  .meta({ id: 'Invitation' });

export const inviteBody = z.strictObject({
  /** Raw entries; each is normalised and validated individually so one typo does not sink the batch. */
  emails: z.array(z.string().max(1000)).min(1).max(10_000),
  role: z.enum(INVITABLE_ROLES),
  locationIds: z.array(z.uuid()).max(1000).optional(),
});

export const inviteResult = z
  .object({
    created: z.array(invitationSchema),
    skipped: z.array(z.object({ email: z.string(), reason: z.enum(SKIP_REASONS) })),
  })
  .meta({ id: 'InviteResult' });

export const invitationPreview = z
  .object({
    workspaceName: z.string(),
    inviterName: z.string().nullable(),
    role: z.enum(INVITABLE_ROLES),
    type: z.enum(['member', 'guest']),
    expiresAt: z.date(),
    emailHint: z.string(),
    signedInEmailMatches: z.boolean().nullable(),
  })
  .meta({ id: 'InvitationPreview' });

export const inboxInvitation = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    workspaceName: z.string(),
    inviterName: z.string().nullable(),
    role: z.enum(INVITABLE_ROLES),
    type: z.enum(['member', 'guest']),
    expiresAt: z.date(),
    createdAt: z.date(),
  })
  .meta({ id: 'InboxInvitation' });

export const acceptResult = z.object({ workspaceId: z.uuid(), memberId: z.uuid() }).meta({ id: 'AcceptResult' });
export const tokenParams = z.strictObject({ token: z.string().max(500) });
