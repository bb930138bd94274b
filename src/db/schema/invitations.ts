import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { users } from './auth.js';
import { localPartners, workspaces } from './workspaces.js';

export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    /** Normalised address; matching and uniqueness use this. */
    email: text('email').notNull(),
    /** What the inviter typed (trimmed), kept for display. */
    emailDisplay: text('email_display').notNull(),
    role: text('role').notNull(),
    type: text('type').notNull().default('member'),
    locationIds: uuid('location_ids').array().notNull().default(sql`'{}'::uuid[]`),
    inviterUserId: uuid('inviter_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** Stored states; `expired` is also derived from expires_at for rows still `pending`. */
    status: text('status').notNull(),
    expiresAt: ts('expires_at').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    tokenNonce: text('token_nonce').notNull(),
    resendCount: integer('resend_count').notNull().default(0),
    lastSentAt: ts('last_sent_at').notNull(),
    acceptedByUserId: uuid('accepted_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    localPartnerId: uuid('local_partner_id').references(() => localPartners.id, { onDelete: 'cascade' }),
    partnerRole: text('partner_role'),
    /** Guest invitations to a new person create the account with a temporary password (Cerby). */
    provisionedUserId: uuid('provisioned_user_id').references(() => users.id, { onDelete: 'set null' }),
    respondedAt: ts('responded_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('invitations_one_pending_uq').on(t.workspaceId, t.email).where(sql`status = 'pending'`),
    index('invitations_workspace_page_idx').on(t.workspaceId, t.createdAt, t.id),
    index('invitations_inviter_recent_idx').on(t.inviterUserId, t.createdAt),
    index('invitations_pending_email_idx').on(t.email).where(sql`status = 'pending'`),
    check('invitations_status', sql`${t.status} in ('pending','accepted','declined','revoked','expired')`),
    check('invitations_role', sql`${t.role} in ('super_admin','admin','user','login_only','guest')`),
  ],
);

/** Hashes of links replaced by a resend, so an old link can say "replaced" rather than "unknown". */
export const supersededInvitationTokens = pgTable('superseded_invitation_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  invitationId: uuid('invitation_id').notNull().references(() => invitations.id, { onDelete: 'cascade' }),
  supersededAt: ts('superseded_at').notNull(),
});

/**
 * Invitations created per minute, per workspace and inviter. The hourly spam caps add up the last
 * 60 minutes here: a bounded read, where counting the invitation rows themselves grows with every
 * invitation sent in the hour (10,000 after one bulk call). Rows older than an hour are pruned by
 * the next invitation to the workspace.
 */
export const invitationCounters = pgTable(
  'invitation_counters',
  {
    workspaceId: uuid('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    inviterUserId: uuid('inviter_user_id').notNull(),
    minute: ts('minute').notNull(),
    created: integer('created').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.inviterUserId, t.minute] }), index('invitation_counters_minute_idx').on(t.workspaceId, t.minute)],
);
