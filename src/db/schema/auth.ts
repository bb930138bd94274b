import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  /** Normalised (see lib/email-address.ts); the unique login. */
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  familyName: text('family_name'),
  emailVerifiedAt: ts('email_verified_at'),
  passwordChangedAt: ts('password_changed_at'),
  /** Set for accounts created with a temporary password (guests): every call but the change is refused. */
  mustChangePassword: boolean('must_change_password').notNull().default(false),
  tempPasswordExpiresAt: ts('temp_password_expires_at'),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    /** Absolute expiry; the idle expiry is derived from last_seen_at. */
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** `mfa_pending` after the password step of an MFA user; only the second step is allowed. */
    state: text('state').notNull().default('active'),
    mfaFailedAttempts: integer('mfa_failed_attempts').notNull().default(0),
  },
  (t) => [index('sessions_user_idx').on(t.userId), check('sessions_state', sql`${t.state} in ('active','mfa_pending')`)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    /** First characters, shown in lists so people can tell their tokens apart. */
    tokenPrefix: text('token_prefix').notNull(),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at'),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

export const emailVerifications = pgTable(
  'email_verifications',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    tokenNonce: text('token_nonce').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [index('email_verifications_user_idx').on(t.userId).where(sql`used_at is null`)],
);
