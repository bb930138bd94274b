import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE } from '../../src/app/context.js';
import { apiTokens, sessions, users } from '../../src/db/schema/index.js';
import { hashToken } from '../../src/lib/crypto.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertUser } from '../../src/modules/auth/repo.js';
import { caller, createTestApp, json, ORIGIN, type Res, type TestApp } from '../helpers/app.js';
import { createUser, expectProblem, PASSWORD, sessionCookieOf, signIn, uniqueEmail } from '../factories.js';

/** Sessions (sign-out, idle and absolute expiry, password change), personal API tokens, CSRF/Origin. */

const NEW_PASSWORD = 'a brand new passphrase 2026';
const EVIL = 'https://evil.test';

const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

describe('sessions, API tokens and CSRF', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const me = (cookie: string) => caller(t.app, cookie).get('/api/me');

  describe('T-SESS-03: session lifetime', () => {
    it('sign-out revokes the session server-side: replaying the cookie → 401 unauthenticated', async () => {
      const user = await createUser(t);
      const other = await signIn(t, user.email); // a second device
      const res = await user.api.post('/api/auth/sign-out');
      expect(res.statusCode, res.body).toBe(204);
      // The reply clears the cookie…
      expect(String(res.headers['set-cookie'])).toMatch(/gh_session=;.*Expires=Thu, 01 Jan 1970/);
      // …and the server forgets it, so a replay does not work.
      expectProblem(await me(user.cookie), 401, 'unauthenticated');
      expectProblem(await user.api.post('/api/auth/sign-out'), 401, 'unauthenticated');
      const [row] = await t.deps.db.select().from(sessions).where(eq(sessions.tokenHash, hashToken(tokenOf(user.cookie))));
      expect(row!.revokedAt).not.toBeNull();
      // Positive control: the other device's session is untouched.
      expect((await me(other.cookie)).statusCode).toBe(200);
    });

    it(`idle expiry: a session unused for more than SESSION_IDLE_HOURS → 401; regular use keeps it alive`, async () => {
      const idleMs = t.config.SESSION_IDLE_HOURS * HOUR;
      expect(t.config.SESSION_IDLE_HOURS).toBe(72);
      const active = await createUser(t);
      const idle = await createUser(t);
      for (let i = 0; i < 3; i++) {
        t.clock.advance(idleMs - HOUR);
        expect((await me(active.cookie)).statusCode, `use #${i}`).toBe(200);
      }
      // `idle` was not used for 3 × 71 h.
      expectProblem(await me(idle.cookie), 401, 'unauthenticated');
      expect((await me(active.cookie)).statusCode).toBe(200);

      t.clock.advance(idleMs + MINUTE);
      expectProblem(await me(active.cookie), 401, 'unauthenticated');
      // Idle-expired sessions stay dead even if time is later "reset" by activity elsewhere.
      expectProblem(await active.api.patch('/api/me', { name: 'Too Late' }), 401, 'unauthenticated');
      // Signing in again works.
      expect((await me((await signIn(t, active.email)).cookie)).statusCode).toBe(200);
    });

    it('a read one minute before the idle limit counts as use', async () => {
      const user = await createUser(t);
      t.clock.advance(72 * HOUR - MINUTE);
      expect((await me(user.cookie)).statusCode).toBe(200);
      t.clock.advance(2 * MINUTE);
      expect((await me(user.cookie)).statusCode).toBe(200);
    });

    it('absolute expiry (SESSION_ABSOLUTE_DAYS) ends the session even with constant activity', async () => {
      const user = await createUser(t);
      const absoluteMs = t.config.SESSION_ABSOLUTE_DAYS * DAY;
      let elapsed = 0;
      while (elapsed + DAY < absoluteMs) {
        t.clock.advance(DAY);
        elapsed += DAY;
        expect((await me(user.cookie)).statusCode, `day ${elapsed / DAY}`).toBe(200);
      }
      t.clock.advance(absoluteMs - elapsed - MINUTE);
      expect((await me(user.cookie)).statusCode).toBe(200);
      t.clock.advance(2 * MINUTE);
      expectProblem(await me(user.cookie), 401, 'unauthenticated');
    });

    it('T-SESS-02: the session id is never accepted from the query string or a header other than Cookie', async () => {
      const user = await createUser(t);
      const token = tokenOf(user.cookie);
      expectProblem(await caller(t.app).get(`/api/me?gh_session=${token}`), 401, 'unauthenticated');
      // A session token is not an API token.
      expectProblem(await caller(t.app).get('/api/me', { authorization: `Bearer ${token}` }), 401, 'unauthenticated');
      expect((await me(user.cookie)).statusCode).toBe(200);
    });

    it('the sessions table stores only the SHA-256 of the token', async () => {
      const user = await createUser(t);
      const token = tokenOf(user.cookie);
      const rows = await t.deps.db.select().from(sessions).where(eq(sessions.userId, user.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.tokenHash).toBe(hashToken(token));
      expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(token);
    });
  });

  describe('T-SESS-04: password change', () => {
    it('revokes every session, gives this one a new cookie, the old password stops working', async () => {
      const user = await createUser(t);
      const second = await signIn(t, user.email);
      const third = await signIn(t, user.email);

      const res = await user.api.post('/api/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect(res.statusCode, res.body).toBe(204);
      const fresh = sessionCookieOf(res);
      expect(fresh).not.toBe(user.cookie);

      expect((await me(fresh)).statusCode).toBe(200);
      expectProblem(await me(user.cookie), 401, 'unauthenticated');
      expectProblem(await me(second.cookie), 401, 'unauthenticated');
      expectProblem(await me(third.cookie), 401, 'unauthenticated');

      const live = (await t.deps.db.select().from(sessions).where(eq(sessions.userId, user.id))).filter((s) => !s.revokedAt);
      expect(live.map((s) => s.tokenHash)).toEqual([hashToken(tokenOf(fresh))]);

      expectProblem(await caller(t.app).post('/api/auth/sign-in', { email: user.email, password: PASSWORD }), 401, 'invalid_credentials');
      expect((await caller(t.app).post('/api/auth/sign-in', { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200);
      const [row] = await t.deps.db.select().from(users).where(eq(users.id, user.id));
      expect(row!.passwordChangedAt).toEqual(t.clock.now());
    });

    it('a wrong current password → 403 current_password_wrong, nothing changes', async () => {
      const user = await createUser(t);
      const other = await signIn(t, user.email);
      expectProblem(await user.api.post('/api/me/password', { currentPassword: 'not my password', newPassword: NEW_PASSWORD }), 403, 'current_password_wrong');
      expect((await me(user.cookie)).statusCode).toBe(200);
      expect((await me(other.cookie)).statusCode).toBe(200);
      expectProblem(await caller(t.app).post('/api/auth/sign-in', { email: user.email, password: NEW_PASSWORD }), 401, 'invalid_credentials');
      expect((await caller(t.app).post('/api/auth/sign-in', { email: user.email, password: PASSWORD })).statusCode).toBe(200);
    });

    it('a weak or unchanged new password → 422 weak_password', async () => {
      const user = await createUser(t);
      expectProblem(await user.api.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'short' }), 422, 'weak_password');
      expectProblem(await user.api.post('/api/me/password', { currentPassword: PASSWORD, newPassword: PASSWORD }), 422, 'weak_password');
      expectProblem(await user.api.post('/api/me/password', { currentPassword: PASSWORD, newPassword: user.email }), 422, 'weak_password');
      expect((await me(user.cookie)).statusCode).toBe(200);
    });
  });

  describe('personal API tokens', () => {
    async function createToken(cookie: string, body: Record<string, unknown> = { name: 'CI script' }) {
      const res = await caller(t.app, cookie).post('/api/me/tokens', body);
      expect(res.statusCode, res.body).toBe(201);
      return json(res) as { token: string; apiToken: { id: string; name: string; prefix: string; expiresAt: string | null } };
    }
    const bearer = (token: string, headers: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...headers });

    it('Bearer auth works without Origin (scripts), including unsafe requests', async () => {
      const user = await createUser(t);
      const { token, apiToken } = await createToken(user.cookie);
      expect(token).toMatch(/^ghp_[A-Za-z0-9_-]{43}$/);
      expect(apiToken.prefix).toBe(token.slice(0, 10));

      const res = await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) });
      expect(res.statusCode, res.body).toBe(200);
      expect(json(res).user.id).toBe(user.id);
      const patch = await t.app.inject({ method: 'PATCH', url: '/api/me', headers: bearer(token), payload: { name: 'Via Token' } });
      expect(patch.statusCode, patch.body).toBe(200);
      expect(json(patch).user.name).toBe('Via Token');
    });

    it('the token is shown once: only its hash is stored, the list never returns it', async () => {
      const user = await createUser(t);
      const { token, apiToken } = await createToken(user.cookie, { name: 'Shown once' });
      const [row] = await t.deps.db.select().from(apiTokens).where(eq(apiTokens.id, apiToken.id));
      expect(row!.tokenHash).toBe(hashToken(token));
      expect(JSON.stringify(row)).not.toContain(token);

      const list = await user.api.get('/api/me/tokens');
      expect(list.statusCode).toBe(200);
      const items = json(list).items;
      expect(items).toHaveLength(1);
      expect(Object.keys(items[0]).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix']);
      expect(items[0]).toMatchObject({ id: apiToken.id, name: 'Shown once', prefix: token.slice(0, 10), lastUsedAt: null });
      expect(list.body).not.toContain(token);
      expect(list.body).not.toContain(row!.tokenHash);

      // Using the token records lastUsedAt.
      expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })).statusCode).toBe(200);
      expect(json(await user.api.get('/api/me/tokens')).items[0].lastUsedAt).toBe(t.clock.now().toISOString());

      // Another user's list does not show it.
      const stranger = await createUser(t);
      expect(json(await stranger.api.get('/api/me/tokens')).items).toEqual([]);
    });

    it('a revoked token → 401; someone else cannot revoke it (404)', async () => {
      const user = await createUser(t);
      const { token, apiToken } = await createToken(user.cookie);
      const stranger = await createUser(t);
      expectProblem(await stranger.api.delete(`/api/me/tokens/${apiToken.id}`), 404, 'not_found');
      expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })).statusCode).toBe(200);

      expect((await user.api.delete(`/api/me/tokens/${apiToken.id}`)).statusCode).toBe(204);
      expectProblem((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })), 401, 'unauthenticated');
      expect(json(await user.api.get('/api/me/tokens')).items).toEqual([]);
      expectProblem(await user.api.delete(`/api/me/tokens/${apiToken.id}`), 404, 'not_found');
    });

    it('an expired token → 401', async () => {
      const user = await createUser(t);
      const { token, apiToken } = await createToken(user.cookie, { name: 'Short lived', expiresInDays: 1 });
      expect(apiToken.expiresAt).toBe(new Date(t.clock.now().getTime() + DAY).toISOString());
      t.clock.advance(DAY - MINUTE);
      expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })).statusCode).toBe(200);
      t.clock.advance(2 * MINUTE);
      expectProblem((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })), 401, 'unauthenticated');
    });

    it('an unknown bearer token → 401 even with a valid cookie alongside (no silent fallback)', async () => {
      const user = await createUser(t);
      expectProblem((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer('ghp_' + 'x'.repeat(43)) })), 401, 'unauthenticated');
      expectProblem((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer('nope', { cookie: user.cookie }) })), 401, 'unauthenticated');
      expect((await me(user.cookie)).statusCode).toBe(200);
    });

    it('token bodies: extra fields or bad expiry → 400 validation_failed', async () => {
      const user = await createUser(t);
      expectProblem(await user.api.post('/api/me/tokens', { name: 'x', userId: user.id }), 400, 'validation_failed');
      expectProblem(await user.api.post('/api/me/tokens', { name: 'x', expiresInDays: 0 }), 400, 'validation_failed');
      expectProblem(await user.api.post('/api/me/tokens', { name: 'x', expiresInDays: 1.5 }), 400, 'validation_failed');
      expectProblem(await caller(t.app).post('/api/me/tokens', { name: 'x' }), 401, 'unauthenticated');
      expect(json(await user.api.get('/api/me/tokens')).items).toEqual([]);
    });
  });

  describe('T-SESS-05: CSRF / Origin check on cookie-authenticated unsafe requests', () => {
    const patchMe = (cookie: string, name: string, headers: Record<string, string>) =>
      t.app.inject({ method: 'PATCH', url: '/api/me', headers: { cookie, ...headers }, payload: { name } });
    const nameOf = async (cookie: string) => json(await me(cookie)).user.name as string;

    it('a foreign Origin → 403 origin_mismatch and nothing changes', async () => {
      const user = await createUser(t, { name: 'Original' });
      expectProblem(await patchMe(user.cookie, 'Hijacked', { origin: EVIL }), 403, 'origin_mismatch');
      expectProblem(await patchMe(user.cookie, 'Hijacked', { origin: 'null' }), 403, 'origin_mismatch');
      expectProblem(await patchMe(user.cookie, 'Hijacked', { origin: `${ORIGIN}.evil.test` }), 403, 'origin_mismatch');
      expectProblem(await patchMe(user.cookie, 'Hijacked', { origin: 'https://gatehouse.test' }), 403, 'origin_mismatch'); // scheme differs
      expectProblem(await patchMe(user.cookie, 'Hijacked', { origin: EVIL, 'sec-fetch-site': 'same-origin' }), 403, 'origin_mismatch');
      expect(await nameOf(user.cookie)).toBe('Original');

      // Unsafe requests other than PATCH are covered too.
      const before = json(await user.api.get('/api/me/tokens')).items.length;
      expectProblem(await t.app.inject({ method: 'POST', url: '/api/me/tokens', headers: { cookie: user.cookie, origin: EVIL }, payload: { name: 'csrf' } }), 403, 'origin_mismatch');
      expectProblem(await t.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: { cookie: user.cookie, origin: EVIL } }), 403, 'origin_mismatch');
      expect(json(await user.api.get('/api/me/tokens')).items).toHaveLength(before);
      expect((await me(user.cookie)).statusCode).toBe(200);
    });

    it('the matching Origin → OK', async () => {
      const user = await createUser(t, { name: 'Original' });
      const res = await patchMe(user.cookie, 'Same Origin', { origin: ORIGIN, 'sec-fetch-site': 'same-origin' });
      expect(res.statusCode).toBe(200);
      expect(await nameOf(user.cookie)).toBe('Same Origin');
    });

    it('no Origin and no Sec-Fetch-Site (curl, scripts) → OK', async () => {
      const user = await createUser(t, { name: 'Original' });
      expect((await patchMe(user.cookie, 'From Curl', {})).statusCode).toBe(200);
      expect(await nameOf(user.cookie)).toBe('From Curl');
      // Sec-Fetch-Site: none (typed into the address bar / bookmark) is not cross-site either.
      expect((await patchMe(user.cookie, 'User Initiated', { 'sec-fetch-site': 'none' })).statusCode).toBe(200);
    });

    it('Sec-Fetch-Site cross-site or same-site without Origin → 403 origin_mismatch', async () => {
      const user = await createUser(t, { name: 'Original' });
      expectProblem(await patchMe(user.cookie, 'Hijacked', { 'sec-fetch-site': 'cross-site' }), 403, 'origin_mismatch');
      expectProblem(await patchMe(user.cookie, 'Hijacked', { 'sec-fetch-site': 'same-site' }), 403, 'origin_mismatch');
      expect(await nameOf(user.cookie)).toBe('Original');
      expect((await patchMe(user.cookie, 'Fine', { 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
    });

    it('GET with a foreign Origin is fine (safe method), and no CORS headers are echoed (T-SESS-07)', async () => {
      const user = await createUser(t);
      for (const origin of [EVIL, 'null']) {
        const res = await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: user.cookie, origin, 'sec-fetch-site': 'cross-site' } });
        expect(res.statusCode).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('login CSRF: sign-in from a foreign Origin → 403 origin_mismatch, no cookie set', async () => {
      const user = await createUser(t);
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/sign-in', headers: { origin: EVIL }, payload: { email: user.email, password: PASSWORD } });
      expectProblem(res, 403, 'origin_mismatch');
      expect(res.headers['set-cookie']).toBeUndefined();
      const signUp = await t.app.inject({ method: 'POST', url: '/api/auth/sign-up', headers: { 'sec-fetch-site': 'cross-site' }, payload: { email: uniqueEmail('csrf'), password: PASSWORD, name: 'X' } });
      expectProblem(signUp, 403, 'origin_mismatch');
    });

    it('Bearer-token requests are not subject to the Origin check', async () => {
      const user = await createUser(t, { name: 'Original' });
      const created = await user.api.post('/api/me/tokens', { name: 'script' });
      const token = json(created).token as string;
      const res = await t.app.inject({ method: 'PATCH', url: '/api/me', headers: { authorization: `Bearer ${token}`, origin: EVIL, 'sec-fetch-site': 'cross-site' }, payload: { name: 'By Token' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(await nameOf(user.cookie)).toBe('By Token');
    });
  });
});

describe('T-SESS-02: cookie on an https deployment', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { APP_URL: 'https://gatehouse.test' } });
  });
  afterAll(() => t.close());

  it('uses the __Host- prefix with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
    // The factories sign in with the http test origin, so the user is inserted and signed in by hand.
    const email = uniqueEmail('https');
    const now = t.clock.now();
    await insertUser(t.deps.db, { id: randomUUID(), email, name: 'Https', passwordHash: await hashPassword(PASSWORD), emailVerifiedAt: now, createdAt: now, updatedAt: now });

    const res = await t.app.inject({ method: 'POST', url: '/api/auth/sign-in', headers: { origin: 'https://gatehouse.test' }, payload: { email, password: PASSWORD } });
    expect(res.statusCode, res.body).toBe(200);
    const raw = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]);
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatch(/^__Host-gh_session=[A-Za-z0-9_-]{43};/);
    const attrs = raw[0]!.split(';').map((a) => a.trim().toLowerCase());
    expect(attrs).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
    expect(attrs.some((a) => a.startsWith('domain='))).toBe(false);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);

    const cookie = raw[0]!.split(';')[0]!;
    expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(200);
    // The plain-named cookie is not read on an https deployment.
    const plain = await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: `gh_session=${tokenOf(cookie)}` } });
    expectProblem(plain, 401, 'unauthenticated');
  });
});
