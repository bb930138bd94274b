import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { users } from './auth.js';

/** One TOTP factor per user; the seed is encrypted with the secrets key (AES-256-GCM). */
export const userTotp = pgTable('user_totp', {
  userId: uuid('user_id').primaryKey().references(() => users.id, { onDelete: 'cascade' }),
  secretEncrypted: text('secret_encrypted').notNull(),
  createdAt: ts('created_at').notNull(),
  /** Null until a first valid code confirms the enrolment. */
  confirmedAt: ts('confirmed_at'),
  /** The last accepted 30-second step: a code is never accepted twice (replay). */
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
});

export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
);

/** Trusted devices (Cerby "trusted sessions"): a random id in a cookie, only its hash stored. */
export const trustedDevices = pgTable(
  'trusted_devices',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    name: text('name').notNull(),
    browser: text('browser'),
    os: text('os'),
    ip: text('ip'),
    status: text('status').notNull(),
    approvalCodeHash: text('approval_code_hash'),
    approvalCodeExpiresAt: ts('approval_code_expires_at'),
    approvalAttempts: integer('approval_attempts').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at').notNull(),
    approvedAt: ts('approved_at'),
    removedAt: ts('removed_at'),
  },
  (t) => [
    index('trusted_devices_user_idx').on(t.userId),
    check('trusted_devices_status', sql`${t.status} in ('pending_approval','approved','removed')`),
  ],
);
