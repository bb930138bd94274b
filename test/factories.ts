import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { hashPassword } from '../src/modules/auth/passwords.js';
import { insertUser } from '../src/modules/auth/repo.js';
import { caller, json, type Caller, type Res, type TestApp } from './helpers/app.js';

export const PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | null = null;

/** A unique address per call, so tests in one file never collide. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.test`;
}

export interface TestUser {
  id: string;
  email: string;
  name: string;
  cookie: string;
  api: Caller;
}

/** Inserts a user (verified unless told otherwise) and signs in through the real endpoint. */
export async function createUser(t: TestApp, opts: { email?: string; name?: string; verified?: boolean } = {}): Promise<TestUser> {
  passwordHash ??= hashPassword(PASSWORD);
  const email = opts.email ?? uniqueEmail();
  const now = t.clock.now();
  const user = await insertUser(t.deps.db, {
    id: randomUUID(),
    email,
    name: opts.name ?? email.split('@')[0]!,
    passwordHash: await passwordHash,
    emailVerifiedAt: opts.verified === false ? null : now,
    createdAt: now,
    updatedAt: now,
  });
  return signIn(t, user!.email, PASSWORD, user!.id, user!.name);
}

export async function signIn(t: TestApp, email: string, password = PASSWORD, id?: string, name?: string): Promise<TestUser> {
  const res = await caller(t.app).post('/api/auth/sign-in', { email, password });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = sessionCookieOf(res);
  const body = json(res);
  return { id: id ?? body.user.id, email: body.user.email, name: name ?? body.user.name, cookie, api: caller(t.app, cookie) };
}

export function sessionCookieOf(res: Res): string {
  const raw = res.headers['set-cookie'];
  const first = (Array.isArray(raw) ? raw : [raw]).find((c) => c?.startsWith('gh_session='));
  if (!first) throw new Error(`no session cookie in ${JSON.stringify(res.headers)}`);
  return first.split(';')[0]!;
}

export async function createWorkspace(user: TestUser, name = 'Acme'): Promise<{ id: string; publicId: string; memberId: string }> {
  const res = await user.api.post('/api/workspaces', { name });
  expect(res.statusCode, res.body).toBe(201);
  return json(res);
}

/** Invites and returns the raw link token, read from the outbox-delivered mail (dev mailbox). */
export async function invite(t: TestApp, inviter: TestUser, workspaceId: string, email: string, role = 'user', extra: Record<string, unknown> = {}): Promise<{ invitationId: string; token: string }> {
  const res = await inviter.api.post(`/api/workspaces/${workspaceId}/invitations`, { emails: [email], role, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  const body = json(res);
  expect(body.created, JSON.stringify(body.skipped)).toHaveLength(1);
  return { invitationId: body.created[0].id, token: await latestInvitationToken(t, email) };
}

export async function mailsTo(t: TestApp, email: string): Promise<{ subject: string; text: string; html: string; messageId: string }[]> {
  await t.worker.drain();
  const res = await caller(t.app).get(`/api/dev/mailbox?to=${encodeURIComponent(email)}&limit=200`);
  expect(res.statusCode, res.body).toBe(200);
  return json(res).items;
}

export async function latestInvitationToken(t: TestApp, email: string): Promise<string> {
  const mails = await mailsTo(t, email);
  const link = mails.map((m) => /\/invite\/([A-Za-z0-9_-]+)/.exec(m.text)?.[1]).find(Boolean);
  if (!link) throw new Error(`no invitation mail to ${email}; mailbox has ${mails.length} mails`);
  return link;
}

/** Adds an existing user to a workspace with a role, through the real invitation flow. */
export async function addMember(t: TestApp, owner: TestUser, workspaceId: string, role: string, opts: { email?: string } = {}): Promise<TestUser & { memberId: string }> {
  const user = await createUser(t, { email: opts.email ?? uniqueEmail(role) });
  const { token } = await invite(t, owner, workspaceId, user.email, role);
  const res = await user.api.post(`/api/invitations/${token}/accept`);
  expect(res.statusCode, res.body).toBe(200);
  return { ...user, memberId: json(res).memberId };
}

export function expectProblem(res: Res, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = json(res);
  expect(body.code, res.body).toBe(code);
  expect(body.status).toBe(status);
  expect(res.body).not.toMatch(/\bat .+\.ts:\d+/); // never a stack trace
}
