import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { json, type Res, type TestApp } from '../helpers/app.js';
import type { TestUser } from '../factories.js';

/**
 * PGlite is one connection behind a mutex: every "race" is serialised and passes falsely.
 * These suites run only against PostgreSQL (DATABASE_URL set).
 */
export const onPostgres = !!process.env.DATABASE_URL;
export const describePg = describe.skipIf(!onPostgres);

export function announceSkip(file: string): void {
  if (!onPostgres) console.log(`[concurrency] ${file}: SKIPPED on PGlite (races serialise there); run with DATABASE_URL=postgres://… to execute`);
}

/** Concurrency-heavy apps: limits that would otherwise turn a race into a 429. */
export const HIGH_LIMITS = {
  RATE_LIMIT_TOKEN_LOOKUPS_PER_IP: '100000',
  RATE_LIMIT_SIGN_UP_PER_IP: '100000',
  RATE_LIMIT_SIGN_IN_PER_IP: '100000',
  RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '100000',
};

/** Raw SQL rows on either driver. */
export async function q<T = Record<string, unknown>>(t: TestApp, query: ReturnType<typeof sql>): Promise<T[]> {
  return rowsOf<T>(await t.deps.db.execute(query));
}

export async function count(t: TestApp, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await q<{ n: number | string }>(t, query);
  return Number(row?.n ?? 0);
}

/** A race may end in any of the listed answers, never in a 5xx and never without a problem code. */
export function expectOneOf(res: Res, allowed: Record<number, string[] | null>): void {
  expect(res.statusCode, res.body).toBeLessThan(500);
  expect(Object.keys(allowed).map(Number), res.body).toContain(res.statusCode);
  const codes = allowed[res.statusCode];
  if (codes) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(codes, res.body).toContain(json(res).code);
  }
}

/** Bulk-invites and returns the created invitation ids by normalised email. */
export async function bulkInvite(inviter: TestUser, workspaceId: string, emails: string[], role = 'user'): Promise<Map<string, string>> {
  const res = await inviter.api.post(`/api/workspaces/${workspaceId}/invitations`, { emails, role });
  expect(res.statusCode, res.body).toBe(201);
  const body = json(res);
  expect(body.created, JSON.stringify(body.skipped)).toHaveLength(emails.length);
  return new Map(body.created.map((c: { id: string; email: string }) => [c.email.toLowerCase(), c.id]));
}

/** Link tokens of invitations, read from the mails the outbox delivered to the dev mailbox. */
export async function tokensOf(t: TestApp, invitationIds: string[]): Promise<Map<string, string>> {
  await t.worker.drain();
  const rows = await q<{ invitation_id: string; text: string }>(
    t,
    sql`select o.payload->>'invitationId' as invitation_id, m.text from dev_mailbox m join outbox o on o.id = m.outbox_id
        where o.kind = 'email.invitation' and o.payload->>'invitationId' in ${invitationIds}`,
  );
  const out = new Map<string, string>();
  for (const r of rows) {
    const token = /\/invite\/([A-Za-z0-9_-]+)/.exec(r.text)?.[1];
    if (token) out.set(r.invitation_id, token);
  }
  expect(out.size).toBe(invitationIds.length);
  return out;
}

export { startSmtpSink, type SinkMail } from '../helpers/smtp-sink.js';

/** Polls until `done()` or the deadline; returns whether it finished. */
export async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return done();
}
