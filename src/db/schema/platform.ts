import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';

/** Transactional outbox: written in the same transaction as the change it announces. */
export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    runAt: ts('run_at').notNull(),
    lockedUntil: ts('locked_until'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    doneAt: ts('done_at'),
  },
  (t) => [
    index('outbox_due_idx').on(t.runAt).where(sql`status = 'pending'`),
    check('outbox_status', sql`${t.status} in ('pending','done','failed','skipped')`),
  ],
);

/** Mails captured when no SMTP server is configured: a product feature for local use. */
export const devMailbox = pgTable(
  'dev_mailbox',
  {
    id: uuid('id').primaryKey(),
    outboxId: uuid('outbox_id').notNull(),
    messageId: text('message_id').notNull(),
    to: text('to').notNull(),
    from: text('from').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('dev_mailbox_outbox_uq').on(t.outboxId), index('dev_mailbox_to_idx').on(t.to, t.createdAt)],
);

/**
 * Append-only activity log, hash-chained per chain (a workspace, or `user:<id>` for events
 * outside any workspace). See ADR 0003 for why the head row is locked.
 */
export const activityEvents = pgTable(
  'activity_events',
  {
    id: uuid('id').primaryKey(),
    chain: text('chain').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    workspaceId: uuid('workspace_id'),
    type: text('type').notNull(),
    actorUserId: uuid('actor_user_id'),
    targetUserId: uuid('target_user_id'),
    subjectType: text('subject_type'),
    subjectId: uuid('subject_id'),
    data: jsonb('data').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: ts('created_at').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    uniqueIndex('activity_chain_seq_uq').on(t.chain, t.seq),
    // Recent events of one type in one chain (failed sign-ins per account for the lockout window).
    index('activity_chain_type_time_idx').on(t.chain, t.type, t.createdAt),
    index('activity_workspace_page_idx').on(t.workspaceId, t.createdAt, t.id),
  ],
);

export const activityChainHeads = pgTable('activity_chain_heads', {
  chain: text('chain').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
});

/**
 * `Idempotency-Key` records: a retried unsafe request with the same key replays the first
 * answer instead of acting twice (SPEC "API conventions").
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code'),
    responseBody: text('response_body'),
    responseType: text('response_type'),
    createdAt: ts('created_at').notNull(),
    lockedUntil: ts('locked_until').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
