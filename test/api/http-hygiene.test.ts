import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type GatehouseApp } from '../../src/app/build-app.js';
import { testConfig } from '../../src/app/config.js';
import { ManualClock } from '../../src/app/context.js';
import { deriveKeys } from '../../src/app/keys.js';
import type { Database } from '../../src/db/client.js';
import { APP_URL, caller, createTestApp, freshDatabase, json, ORIGIN, TEST_MASTER_KEY, type Res, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, expectProblem, PASSWORD, uniqueEmail, type TestUser } from '../factories.js';

/** Malformed input, unknown routes, oversized bodies, hostile path ids and response headers (T-ERR). */

describe('HTTP hygiene', () => {
  let t: TestApp;
  let user: TestUser;
  let workspaceId: string;
  beforeAll(async () => {
    t = await createTestApp();
    user = await createUser(t);
    workspaceId = (await createWorkspace(user, 'Hygiene')).id;
  });
  afterAll(() => t.close());

  /** A raw request with our Origin and the user's cookie. */
  const raw = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: string | Buffer, headers: Record<string, string> = {}) =>
    t.app.inject({
      method,
      url,
      headers: { origin: ORIGIN, cookie: user.cookie, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload !== undefined ? { payload } : {}),
    }) as Promise<Res>;

  /** The server still answers normal requests after a bad one (positive control for every case). */
  async function expectStillServing() {
    expect((await user.api.get('/api/me')).statusCode).toBe(200);
    const signIn = await caller(t.app).post('/api/auth/sign-in', { email: uniqueEmail('nobody'), password: 'definitely wrong' });
    expectProblem(signIn, 401, 'invalid_credentials');
  }

  describe('T-ERR-01: malformed JSON bodies', () => {
    it.each([
      ['truncated JSON', '{"a":', 'invalid_json'],
      ['empty body with application/json', '', 'invalid_json'],
      ['trailing garbage', '{"name":"x"} trailing', 'invalid_json'],
      ['null', 'null', 'validation_failed'],
      ['an array', '[]', 'validation_failed'],
      ['a string', '"name"', 'validation_failed'],
      ['a number', '42', 'validation_failed'],
    ])('%s → 400 %s problem+json, nothing changes, the server keeps serving', async (_label, body, code) => {
      const before = json(await user.api.get('/api/me')).user.name;
      expectProblem(await raw('PATCH', '/api/me', body), 400, code);
      expectProblem(await raw('POST', '/api/auth/sign-in', body), 400, code);
      expectProblem(await raw('POST', `/api/workspaces/${workspaceId}/invitations`, body), 400, code);
      expect(json(await user.api.get('/api/me')).user.name).toBe(before);
      await expectStillServing();
    });

    it('validation problems list the failing fields without echoing secrets', async () => {
      const res = await raw('POST', '/api/auth/sign-in', JSON.stringify({ email: 'not-an-email', password: 12345 }));
      expectProblem(res, 400, 'validation_failed');
      const paths = json(res).errors.map((e: { path: string }) => e.path).sort();
      expect(paths).toEqual(['body.email', 'body.password']);
      expect(res.body).not.toContain('12345');
    });
  });

  describe('T-ERR-02: prototype pollution', () => {
    it.each([
      ['__proto__', '{"name":"Polluter","__proto__":{"isAdmin":true}}'],
      ['constructor.prototype', '{"name":"Polluter","constructor":{"prototype":{"isAdmin":true}}}'],
      ['nested __proto__', '{"emails":["a@example.test"],"role":"user","x":{"__proto__":{"isAdmin":true}}}'],
    ])('%s → 400, Object.prototype untouched, nothing persisted', async (_label, body) => {
      const before = json(await user.api.get('/api/me')).user.name;
      const res = await raw('PATCH', '/api/me', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(['invalid_json', 'validation_failed']).toContain(json(res).code);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(json(await user.api.get('/api/me')).user.name).toBe(before);
      await expectStillServing();
    });
  });

  describe('T-ERR-03: content types, unknown routes, methods, body size', () => {
    it('application/xml → 415 unsupported_media_type', async () => {
      const res = await raw('PATCH', '/api/me', '<name>x</name>', { 'content-type': 'application/xml' });
      expectProblem(res, 415, 'unsupported_media_type');
      await expectStillServing();
    });

    it('T-SESS-05 (d)(e): text/plain carrying JSON and form-encoded bodies → 415 (no CSRF-able simple content types)', async () => {
      const before = json(await user.api.get('/api/me')).user.name;
      expectProblem(await raw('PATCH', '/api/me', '{"name":"Plain Text"}', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
      expectProblem(await raw('PATCH', '/api/me', 'name=Form', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
      expectProblem(await raw('PATCH', '/api/me', '--b\r\n\r\nx\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }), 415, 'unsupported_media_type');
      expect(json(await user.api.get('/api/me')).user.name).toBe(before);
      // Positive control: JSON with a charset parameter is fine.
      const ok = await raw('PATCH', '/api/me', '{"name":"Json Charset"}', { 'content-type': 'application/json; charset=utf-8' });
      expect(ok.statusCode, ok.body).toBe(200);
    });

    it('an unknown /api route → 404 not_found problem+json (any method)', async () => {
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        const res = await raw(method, '/api/definitely-not-a-route', method === 'POST' ? '{}' : undefined);
        expectProblem(res, 404, 'not_found');
        expect(res.headers['cache-control']).toBe('no-store');
      }
      expectProblem(await raw('GET', '/api/me/does-not-exist'), 404, 'not_found');
    });

    it('T-ERR-03: an unsupported method on a known path → 405 method_not_allowed with an Allow header', async () => {
      for (const method of ['PUT', 'DELETE'] as const) {
        const res = await raw(method, '/api/auth/sign-in', method === 'PUT' ? '{}' : undefined);
        expectProblem(res, 405, 'method_not_allowed');
        expect(res.headers.allow).toBe('POST');
      }
      const onParams = await raw('PUT', `/api/workspaces/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/members`, '{}');
      expectProblem(onParams, 405, 'method_not_allowed');
      expect(onParams.headers.allow).toBe('GET, HEAD');
      // Positive control: the allowed method still reaches the route.
      expect((await raw('POST', '/api/auth/sign-in', JSON.stringify({ email: user.email, password: 'wrong password' }))).statusCode).toBe(401);
    });

    it('a body over 2 MB → 413 payload_too_large, and the server keeps serving', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024 + 10) });
      expectProblem(await raw('PATCH', '/api/me', big), 413, 'payload_too_large');
      expectProblem(await raw('POST', '/api/auth/sign-in', JSON.stringify({ email: user.email, password: 'p'.repeat(2 * 1024 * 1024) })), 413, 'payload_too_large');
      await expectStillServing();
      // Positive control: just under the limit reaches validation (name too long → 400).
      expectProblem(await raw('PATCH', '/api/me', JSON.stringify({ name: 'x'.repeat(1024 * 1024) })), 400, 'validation_failed');
    });
  });

  describe('T-ERR-05: hostile path ids → 400 or 404, never 5xx', () => {
    const hostile = [
      '..%2F..%2Fetc%2Fpasswd',
      '..',
      '%2e%2e',
      '%00',
      'abc%00def',
      'x'.repeat(10 * 1024),
      encodeURIComponent("' OR 1=1--"),
      encodeURIComponent("1; DROP TABLE users;--"),
      'not-a-uuid',
      '00000000-0000-0000-0000-000000000000',
      '%F0%9F%92%A9',
      '%ZZ',
    ];
    const templates = [
      (id: string) => `/api/workspaces/${id}`,
      (id: string) => `/api/workspaces/${id}/members`,
      (id: string) => `/api/workspaces/WS/members/${id}`,
      (id: string) => `/api/workspaces/WS/invitations/${id}`,
      (id: string) => `/api/invitations/${id}`,
      (id: string) => `/api/me/tokens/${id}`,
    ];

    it('GET/DELETE with hostile ids', async () => {
      for (const template of templates) {
        for (const id of hostile) {
          const url = template(id).replace('/WS/', `/${workspaceId}/`);
          for (const method of ['GET', 'DELETE'] as const) {
            const res = await raw(method, url);
            expect([400, 404, 405, 410], `${method} ${url.slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 200)}`).toContain(res.statusCode);
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect(res.headers['x-content-type-options']).toBe('nosniff');
            expect(res.headers['cache-control']).toBe('no-store');
            expect(res.body).not.toMatch(/\bat .+\.ts:\d+|syntax error|relation "|invalid input syntax/i);
          }
        }
      }
      await expectStillServing();
      // Positive control: the real id works.
      expect((await raw('GET', `/api/workspaces/${workspaceId}`)).statusCode).toBe(200);
    });

    it('router-level rejects (over-long param, broken %-escape) are problem+json too', async () => {
      const long = await raw('GET', `/api/workspaces/${'x'.repeat(10 * 1024)}`);
      expectProblem(long, 404, 'not_found');
      expect(long.headers['referrer-policy']).toBe('no-referrer');
      const badEscape = await raw('GET', '/api/workspaces/%ZZ');
      expectProblem(badEscape, 400, 'validation_failed');
      expect(badEscape.headers['cache-control']).toBe('no-store');
    });

    it('hostile ids in POST action routes', async () => {
      for (const id of hostile) {
        const res = await raw('POST', `/api/invitations/${id}/accept`, '{}');
        expect([400, 404], `${id.slice(0, 40)} → ${res.statusCode} ${res.body.slice(0, 200)}`).toContain(res.statusCode);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });

    it('hostile query strings → 400, never 5xx', async () => {
      for (const qs of ['limit=-1', 'limit=1e9', 'limit=abc', 'cursor=%00', `cursor=${'x'.repeat(5000)}`, 'limit=10&limit=20', 'role=owner&role=admin', 'unknown=1']) {
        const res = await raw('GET', `/api/workspaces/${workspaceId}/members?${qs}`);
        expect([200, 400], `${qs.slice(0, 60)} → ${res.statusCode} ${res.body.slice(0, 200)}`).toContain(res.statusCode);
        if (res.statusCode !== 200) expect(json(res).code).toBe('validation_failed');
      }
    });
  });

  describe('T-ERR-08: response headers', () => {
    function expectBaseline(res: Res) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['server']).toBeUndefined();
      expect(String(res.headers['content-type'])).toMatch(/charset=utf-8/i);
    }

    it('a 200 API response: nosniff, no-store, referrer-policy, charset, no x-powered-by', async () => {
      const res = await user.api.get('/api/me');
      expect(res.statusCode).toBe(200);
      expectBaseline(res);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      // http APP_URL: no HSTS (it would pin a plain-http deployment); see sessions.test.ts for https.
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it('4xx API responses carry the same headers', async () => {
      for (const res of [await user.api.get('/api/nope'), await caller(t.app).get('/api/me'), await raw('PATCH', '/api/me', '{')]) {
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expectBaseline(res);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      }
    });

    it("the HTML page `/`: CSP with frame-ancestors 'none' and default-src 'self'", async () => {
      const res = await t.app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
      expectBaseline(res as Res);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      // A deep link (SPA route) gets the same page and the same headers.
      const deep = await t.app.inject({ method: 'GET', url: '/w/some/deep/link' });
      expect(deep.statusCode).toBe(200);
      expect(String(deep.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    });
  });
});

describe('T-ERR-07: an unexpected error in a handler', () => {
  let built: GatehouseApp;
  let database: Database;
  beforeAll(async () => {
    ({ database } = await freshDatabase());
    built = await buildApp({ config: testConfig({ APP_URL }), db: database.db, keys: deriveKeys(TEST_MASTER_KEY), clock: new ManualClock(new Date('2026-11-25T12:00:00.000Z')) });
    // A test-only route whose handler throws an error full of internals.
    built.app.get('/api/test/boom', { config: { auth: 'public' } }, async () => {
      const err = new Error('connect ECONNREFUSED postgres://admin:hunter2@db.internal:5432 at /srv/gatehouse/src/secret.ts:42');
      throw err;
    });
    built.app.post('/api/test/boom-db', { config: { auth: 'public' } }, async () => {
      throw Object.assign(new Error('duplicate key value violates unique constraint "users_email_unique"'), { code: '23505', detail: 'Key (email)=(a@b.c) already exists.' });
    });
    await built.app.ready();
  });
  afterAll(async () => {
    await built.app.close();
    await database.close();
  });

  it('→ 500 internal problem+json with a generic title and a request id; no stack, paths, secrets', async () => {
    const res = (await built.app.inject({ method: 'GET', url: '/api/test/boom' })) as Res;
    expectProblem(res, 500, 'internal');
    const body = json(res);
    expect(body.title).toBe('Something went wrong on our side');
    expect(body.detail).toBeUndefined();
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.instance).toBe('/api/test/boom');
    expect(res.body).not.toMatch(/ECONNREFUSED|hunter2|db\.internal|secret\.ts|\/srv\/|stack/i);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['server']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // The process keeps serving.
    expect((await built.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('T-ERR-06: a database constraint error → 409 conflict without SQL, constraint names or values', async () => {
    const res = (await built.app.inject({ method: 'POST', url: '/api/test/boom-db', headers: { origin: ORIGIN }, payload: {} })) as Res;
    expectProblem(res, 409, 'conflict');
    expect(res.body).not.toMatch(/duplicate key|users_email_unique|a@b\.c/);
  });

  it('positive control: normal routes on the same app work', async () => {
    const res = (await caller(built.app).post('/api/auth/sign-in', { email: 'nobody@example.test', password: PASSWORD })) as Res;
    expectProblem(res, 401, 'invalid_credentials');
  });
});
