import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { users } from './auth.js';

export const workspaces = pgTable(
  'workspaces',
  {
    id: uuid('id').primaryKey(),
    /** The public Workspace ID people read out and paste (e.g. to request a partnership). */
    publicId: text('public_id').notNull().unique(),
    name: text('name').notNull(),
    inviteExpiryDays: integer('invite_expiry_days').notNull().default(7),
    allowedEmailDomains: text('allowed_email_domains').array().notNull().default(sql`'{}'::text[]`),
    guestInvitesAdminOnly: boolean('guest_invites_admin_only').notNull().default(false),
    /** The company's own domains: guests cannot be invited from them (they come in as members). */
    companyDomains: text('company_domains').array().notNull().default(sql`'{}'::text[]`),
    mfaRequirement: text('mfa_requirement').notNull().default('off'),
    deviceApprovalRequired: boolean('device_approval_required').notNull().default(false),
    tosText: text('tos_text').notNull().default(''),
    /** 0 = no terms; raising it asks everyone to accept again. */
    tosVersion: integer('tos_version').notNull().default(0),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    check('workspaces_invite_expiry_days', sql`${t.inviteExpiryDays} between 1 and 30`),
    check('workspaces_mfa_requirement', sql`${t.mfaRequirement} in ('off','guests','everyone')`),
  ],
);

export const locations = pgTable(
  'locations',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('locations_workspace_name_uq').on(t.workspaceId, sql`lower(${t.name})`)],
);

export const members = pgTable(
  'members',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    type: text('type').notNull(),
    status: text('status').notNull(),
    invitedByUserId: uuid('invited_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** Guests of a local partner (Cerby): the partner and their role in it. */
    localPartnerId: uuid('local_partner_id').references((): AnyPgColumn => localPartners.id, { onDelete: 'set null' }),
    partnerRole: text('partner_role'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    removedAt: ts('removed_at'),
  },
  (t) => [
    uniqueIndex('members_workspace_user_uq').on(t.workspaceId, t.userId),
    index('members_workspace_page_idx').on(t.workspaceId, t.createdAt, t.id),
    index('members_user_idx').on(t.userId),
    // "Exactly one owner" is also a database fact, so no code path can create a second.
    uniqueIndex('members_one_owner_uq').on(t.workspaceId).where(sql`role = 'owner' and status = 'active'`),
    check('members_role', sql`${t.role} in ('owner','super_admin','admin','user','login_only','guest')`),
    check('members_type', sql`${t.type} in ('member','guest')`),
    check('members_status', sql`${t.status} in ('pending','active','removed')`),
    check('members_partner_role', sql`${t.partnerRole} is null or ${t.partnerRole} in ('guest_admin','guest_user')`),
    index('members_partner_idx').on(t.localPartnerId),
  ],
);

export const memberLocations = pgTable(
  'member_locations',
  {
    memberId: uuid('member_id').notNull().references(() => members.id, { onDelete: 'cascade' }),
    locationId: uuid('location_id').notNull().references(() => locations.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.locationId] }), index('member_locations_location_idx').on(t.locationId)],
);

/** A named group of guests inside a host workspace (Cerby "local partner", e.g. an agency). */
export const localPartners = pgTable(
  'local_partners',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: text('status').notNull().default('active'),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull(),
    removedAt: ts('removed_at'),
  },
  (t) => [
    uniqueIndex('local_partners_name_uq').on(t.workspaceId, sql`lower(${t.name})`).where(sql`status = 'active'`),
    check('local_partners_status', sql`${t.status} in ('active','removed')`),
  ],
);

/** Terms of Service acceptances: who accepted which version of which workspace's terms, when, from where. */
export const tosAcceptances = pgTable(
  'tos_acceptances',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    acceptedAt: ts('accepted_at').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [uniqueIndex('tos_acceptances_uq').on(t.workspaceId, t.userId, t.version)],
);
