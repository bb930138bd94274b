import { randomUUID } from 'node:crypto';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SECOND } from '../../src/app/context.js';
import { rowsOf } from '../../src/db/client.js';
import { activityEvents } from '../../src/db/schema/index.js';
import { totpCode } from '../../src/modules/mfa/totp.js';
import { json, ORIGIN, type Caller, type Res, type TestApp } from '../helpers/app.js';
import { mailsTo, sessionCookieOf, type TestUser } from '../factories.js';

/** Shared helpers of the guest / MFA / device tests (issue 5). */

export const GUEST_PASSWORD = 'violet tangerine harbour 42';
export const STEP = 30 * SECOND;

let ipCounter = 0;
/** A fresh client address, so per-IP rate limits of one test never leak into another. */
export function freshIp(): string {
  ipCounter++;
  return `10.55.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

/** Like `caller`, but from a given client address (and optional extra headers on every request). */
export function ipCaller(app: FastifyInstance, cookie: string | undefined, ip: string, base: Record<string, string> = {}): Caller {
  const send = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url,
      remoteAddress: ip,
      headers: { ...(cookie ? { cookie } : {}), ...(method !== 'GET' ? { origin: ORIGIN } : {}), ...base, ...headers },
      ...(body !== undefined ? { payload: body as object } : {}),
    }) as Promise<Res>;
  return {
    get: (url, headers) => send('GET', url, undefined, headers),
    post: (url, body, headers) => send('POST', url, body ?? {}, headers),
    patch: (url, body, headers) => send('PATCH', url, body, headers),
    delete: (url, headers) => send('DELETE', url, undefined, headers),
    put: (url, body, headers) => send('PUT', url, body, headers),
  };
}

export function setCookies(res: Res): string[] {
  const raw = res.headers['set-cookie'];
  return raw === undefined ? [] : ([] as string[]).concat(raw as string | string[]);
}

/** `name=value` of a cookie set by this response, or undefined. */
export function cookieOf(res: Res, name: string): string | undefined {
  return setCookies(res).find((c) => c.startsWith(`${name}=`))?.split(';')[0];
}

export const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

export function tempPasswordIn(text: string): string | undefined {
  return /Temporary password: (\S+)/.exec(text)?.[1];
}

/** The temporary password of the newest guest invitation mail to this address. */
export async function latestTempPassword(t: TestApp, email: string): Promise<string> {
  const mails = await mailsTo(t, email);
  const pw = mails.map((m) => tempPasswordIn(m.text)).find(Boolean);
  if (!pw) throw new Error(`no temporary password mailed to ${email} (${mails.length} mails)`);
  return pw;
}

/** Signs in with email + password from a given address; returns the response and a caller on the new session. */
export async function passwordStep(t: TestApp, email: string, password: string, ip: string, extraCookie?: string, headers: Record<string, string> = {}) {
  const res = await ipCaller(t.app, extraCookie, ip, headers).post('/api/auth/sign-in', { email, password });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = sessionCookieOf(res);
  return { res, body: json(res), cookie, api: ipCaller(t.app, [cookie, extraCookie].filter(Boolean).join('; '), ip, headers) };
}

/** First sign-in with the temporary password and the forced change; returns the guest, signed in. */
export async function completeGuestSetup(t: TestApp, email: string, tempPassword: string, opts: { ip?: string; password?: string } = {}) {
  const ip = opts.ip ?? freshIp();
  const first = await passwordStep(t, email, tempPassword, ip);
  expect(first.body.passwordChangeRequired).toBe(true);
  const setup = await first.api.post('/api/me/complete-setup', { newPassword: opts.password ?? GUEST_PASSWORD, name: 'Gia', familyName: 'Guest' });
  expect(setup.statusCode, setup.body).toBe(200);
  const cookie = sessionCookieOf(setup);
  return { id: json(setup).user.id as string, email, cookie, ip, api: ipCaller(t.app, cookie, ip), joinedWorkspaceIds: json(setup).joinedWorkspaceIds as string[] };
}

export type Guest = Awaited<ReturnType<typeof completeGuestSetup>>;

/** Invites a brand-new guest through a route and takes them through the forced password change. */
export async function newGuest(t: TestApp, inviter: TestUser | Guest, url: string, email: string, body: Record<string, unknown> = { role: 'guest' }) {
  const res = await inviter.api.post(url, { emails: [email], ...body });
  expect(res.statusCode, res.body).toBe(201);
  expect(json(res).created, res.body).toHaveLength(1);
  const tempPassword = await latestTempPassword(t, email);
  return { ...(await completeGuestSetup(t, email, tempPassword)), invitationId: json(res).created[0].id as string };
}

/** TOTP enrolment through the API; the clock moves one step on, so the next code is usable. */
export async function enrolTotp(t: TestApp, api: Caller): Promise<{ secret: string; recoveryCodes: string[] }> {
  const start = await api.post('/api/me/mfa/totp');
  expect(start.statusCode, start.body).toBe(200);
  const { secret } = json(start);
  const confirm = await api.post('/api/me/mfa/totp/confirm', { code: totpCode(secret, t.clock.now()) });
  expect(confirm.statusCode, confirm.body).toBe(200);
  t.clock.advance(STEP);
  return { secret, recoveryCodes: json(confirm).recoveryCodes };
}

/** The authenticator's code now (usable once per step: advance STEP before the next use). */
export const codeNow = (t: TestApp, secret: string) => totpCode(secret, t.clock.now());

/** Password + TOTP sign-in; the clock moves one step on afterwards. */
export async function fullSignIn(t: TestApp, email: string, password: string, secret: string, ip: string, opts: { trustDevice?: boolean; deviceCookie?: string; headers?: Record<string, string> } = {}) {
  const step1 = await passwordStep(t, email, password, ip, opts.deviceCookie, opts.headers);
  expect(step1.body.mfaRequired).toBe(true);
  const res = await step1.api.post('/api/auth/mfa/verify', { code: codeNow(t, secret), ...(opts.trustDevice ? { trustDevice: true } : {}) });
  expect(res.statusCode, res.body).toBe(200);
  t.clock.advance(STEP);
  const cookie = sessionCookieOf(res);
  const device = cookieOf(res, 'gh_device') ?? opts.deviceCookie;
  return { res, body: json(res), cookie, device, pendingCookie: step1.cookie, api: ipCaller(t.app, [cookie, device].filter(Boolean).join('; '), ip, opts.headers) };
}

/** A 6-digit code that is not valid for this secret in the accepted window (previous, current, next step). */
export function wrongCode(t: TestApp, secret: string): string {
  const now = t.clock.now().getTime();
  const valid = new Set([-1, 0, 1].map((s) => totpCode(secret, new Date(now + s * STEP))));
  for (let i = 0; ; i++) {
    const c = String(i).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

export async function eventsOf(t: TestApp, type: string, where: { actorUserId?: string; targetUserId?: string; subjectId?: string; workspaceId?: string } = {}) {
  const conds = [eq(activityEvents.type, type)];
  if (where.actorUserId) conds.push(eq(activityEvents.actorUserId, where.actorUserId));
  if (where.targetUserId) conds.push(eq(activityEvents.targetUserId, where.targetUserId));
  if (where.subjectId) conds.push(eq(activityEvents.subjectId, where.subjectId));
  if (where.workspaceId) conds.push(eq(activityEvents.workspaceId, where.workspaceId));
  return t.deps.db.select().from(activityEvents).where(and(...conds));
}


/** Raw SQL rows on either driver. */
export async function q<T = Record<string, unknown>>(t: TestApp, query: SQL): Promise<T[]> {
  return rowsOf<T>(await t.deps.db.execute(query));
}

/**
 * Tables (public schema) with a row whose text form contains `needle`. The dev mailbox is the
 * mail sink (what was delivered), not storage of the application, so it is left out.
 */
export async function tablesContaining(t: TestApp, needle: string): Promise<string[]> {
  const tables = await q<{ table_name: string }>(t, sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'dev_mailbox'`);
  const hits: string[] = [];
  for (const { table_name } of tables) {
    const [row] = await q<{ n: number | string }>(t, sql`select count(*) as n from ${sql.identifier(table_name)} x where position(${needle} in x::text) > 0`);
    if (Number(row?.n ?? 0) > 0) hits.push(table_name);
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Route sweeps, generated from the app's OpenAPI document (the same one as openapi.json), so a
// new route is covered the day it is added.

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  key: string;
  op: { requestBody?: { content?: { 'application/json'?: { schema?: JsonSchema } } } };
}
type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; enum?: unknown[]; const?: unknown; default?: unknown; minItems?: number; minLength?: number; minimum?: number; format?: string; pattern?: string; anyOf?: JsonSchema[] };

export function apiRoutes(t: TestApp): ApiRoute[] {
  const doc = (t.app as unknown as { swagger(): { paths: Record<string, Record<string, ApiRoute['op']>> } }).swagger();
  const out: ApiRoute[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const [m, op] of Object.entries(ops)) {
      const method = m.toUpperCase() as ApiRoute['method'];
      out.push({ method, path, key: `${method} ${path}`, op });
    }
  }
  return out;
}

/** Routes that answer without a signed-in user (`config.auth: 'public'`). */
export const PUBLIC_ROUTES = new Set([
  'POST /api/auth/sign-up',
  'POST /api/auth/sign-in',
  'POST /api/auth/verify-email',
  'GET /api/invitations/{token}',
  'POST /api/invitations/{token}/accept',
  'POST /api/invitations/{token}/decline',
  'GET /api/dev/mailbox',
]);

export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? randomUUID());
}

/** A minimal body that passes the route's schema, so the answer is about authorisation, not validation. */
export function sampleOf(schema: JsonSchema | undefined, key = ''): unknown {
  if (!schema) return undefined;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.anyOf) return sampleOf(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0], key);
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of schema.required ?? []) out[k] = sampleOf(schema.properties?.[k], k);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sampleOf(schema.items, key));
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (/email/i.test(key)) return `sweep-${randomUUID().slice(0, 8)}@elsewhere.test`;
      if (schema.pattern === '^\\d{6}$') return '123456';
      return 'Sweep value 1234'.padEnd(Math.max(1, schema.minLength ?? 1), 'x');
    default:
      return undefined;
  }
}

export function bodyFor(route: ApiRoute, overrides: Record<string, unknown> = {}): unknown {
  if (route.key in overrides) return overrides[route.key];
  if (route.method === 'GET' || route.method === 'DELETE') return undefined;
  return sampleOf(route.op.requestBody?.content?.['application/json']?.schema) ?? {};
}

/** Bodies the JSON schema cannot describe (refinements). */
export const BODY_OVERRIDES: Record<string, unknown> = {
  'POST /api/auth/mfa/verify': { code: '123456' },
  'POST /api/me/mfa/disable': { password: 'not the password', code: '123456' },
  'POST /api/me/mfa/recovery-codes': { password: 'not the password', code: '123456' },
};

export async function callRoute(api: Caller, route: ApiRoute, url: string, body: unknown): Promise<Res> {
  switch (route.method) {
    case 'GET':
      return api.get(url);
    case 'DELETE':
      return api.delete(url);
    case 'POST':
      return api.post(url, body);
    case 'PUT':
      return api.put(url, body);
    case 'PATCH':
      return api.patch(url, body);
  }
}
