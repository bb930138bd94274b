import { and, eq, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { devMailbox, invitations, outbox } from '../../src/db/schema/index.js';
import { caller, json, type Res, type TestApp } from '../helpers/app.js';
import { mailsTo, type TestUser } from '../factories.js';

/** Every invitation link token found in the mails to `email` (newest mail first). */
export async function tokensIn(t: TestApp, email: string): Promise<string[]> {
  const mails = await mailsTo(t, email);
  return mails.map((m) => /\/invite\/([A-Za-z0-9_-]+)/.exec(m.text)?.[1]).filter((x): x is string => !!x);
}

/** The token in the one mail that is new since `known` (fails unless exactly one new link arrived). */
export async function newTokenFor(t: TestApp, email: string, known: string[]): Promise<string> {
  const fresh = (await tokensIn(t, email)).filter((tok) => !known.includes(tok));
  expect(fresh, `new links to ${email}`).toHaveLength(1);
  return fresh[0]!;
}

export async function invitationRow(t: TestApp, id: string) {
  const [row] = await t.deps.db.select().from(invitations).where(eq(invitations.id, id));
  return row;
}

export async function invitationRowsFor(t: TestApp, workspaceId: string, email: string) {
  return t.deps.db.select().from(invitations).where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.email, email)));
}

export async function invitationCount(t: TestApp, workspaceId: string): Promise<number> {
  const [row] = await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(invitations).where(eq(invitations.workspaceId, workspaceId));
  return Number(row!.n);
}

/** Outbox rows that announce one invitation. */
export async function outboxRowsFor(t: TestApp, invitationId: string) {
  return t.deps.db.select().from(outbox).where(sql`${outbox.payload}->>'invitationId' = ${invitationId}`);
}

export async function outboxCount(t: TestApp): Promise<number> {
  const [row] = await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(outbox);
  return Number(row!.n);
}

export async function devMailCount(t: TestApp, to: string): Promise<number> {
  const [row] = await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(devMailbox).where(eq(devMailbox.to, to));
  return Number(row!.n);
}

export function bulk(user: TestUser, workspaceId: string, emails: string[], role = 'user', extra: Record<string, unknown> = {}): Promise<Res> {
  return user.api.post(`/api/workspaces/${workspaceId}/invitations`, { emails, role, ...extra });
}

export async function getInvitation(user: TestUser, workspaceId: string, id: string) {
  const res = await user.api.get(`/api/workspaces/${workspaceId}/invitations/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return json(res);
}

export async function listAll(user: TestUser, workspaceId: string, query = ''): Promise<any[]> {
  const res = await user.api.get(`/api/workspaces/${workspaceId}/invitations?limit=200${query ? `&${query}` : ''}`);
  expect(res.statusCode, res.body).toBe(200);
  return json(res).items;
}

export const anon = (t: TestApp) => caller(t.app);

/** A request from a given client IP (light-my-request's remoteAddress; TRUST_PROXY is off). */
export function fromIp(t: TestApp, ip: string, method: 'GET' | 'POST', url: string, cookie?: string): Promise<Res> {
  return t.app.inject({
    method,
    url,
    remoteAddress: ip,
    headers: { ...(cookie ? { cookie } : {}), ...(method === 'POST' ? { origin: 'http://gatehouse.test' } : {}) },
    ...(method === 'POST' ? { payload: {} } : {}),
  }) as Promise<Res>;
}

/** `abc` → `ａｂｃ` (full-width compatibility forms that NFKC folds back). */
export function fullWidth(s: string): string {
  return [...s].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
}
