import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.js';
import { hashToken } from '../../src/lib/crypto.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { createUser, expectProblem, PASSWORD, sessionCookieOf, uniqueEmail } from '../factories.js';
import { codeNow, enrolTotp, eventsOf, freshIp, ipCaller, passwordStep, STEP, tokenOf } from './support.js';

/** Issue 5: the session list (T-SESS-04) and session ids across the MFA sign-in (T-SESS-01). */
describe('own sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000' } });
  });
  afterAll(() => t.close());

  /** A user signed in from three places (three live sessions). */
  async function threeSessions() {
    const u = await createUser(t, { email: uniqueEmail('sess') });
    const ua = (n: number) => ({ 'user-agent': `Browser${n}/1.0` });
    const ips = [freshIp(), freshIp(), freshIp()];
    const s = [] as Awaited<ReturnType<typeof passwordStep>>[];
    for (let i = 0; i < 3; i++) s.push(await passwordStep(t, u.email, PASSWORD, ips[i]!, undefined, ua(i)));
    return { u, s, ips };
  }

  const sessionIdOf = async (cookie: string) => (await t.deps.db.select().from(sessions).where(eq(sessions.tokenHash, hashToken(tokenOf(cookie)))))[0]!.id;

  it('GET /api/me/sessions lists only your live sessions, marks the current one, and exposes no token material', async () => {
    const { u, s, ips } = await threeSessions();
    const other = await createUser(t); // someone else's sessions must not show
    await u.api.post('/api/auth/sign-out'); // the factory's session: revoked, not listed
    const res = await s[1]!.api.get('/api/me/sessions');
    expect(res.statusCode, res.body).toBe(200);
    const items = json(res).items;
    expect(items).toHaveLength(3);
    expect(items.map((i: { ip: string }) => i.ip).sort()).toEqual([...ips].sort());
    expect(items.filter((i: { current: boolean }) => i.current)).toEqual([expect.objectContaining({ id: await sessionIdOf(s[1]!.cookie), ip: ips[1], userAgent: 'Browser1/1.0' })]);
    for (const i of items) expect(Object.keys(i).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastSeenAt', 'userAgent']);
    for (const x of s) expect(res.body).not.toContain(tokenOf(x.cookie));
    expect(res.body).not.toContain(hashToken(tokenOf(s[0]!.cookie)));
    expect(items.map((i: { id: string }) => i.id)).not.toContain(await sessionIdOf(other.cookie));
  });

  it('DELETE /api/me/sessions/{id} ends that session (its cookie → 401), the others keep working', async () => {
    const { u, s } = await threeSessions();
    const target = await sessionIdOf(s[2]!.cookie);
    const res = await s[0]!.api.delete(`/api/me/sessions/${target}`);
    expect(res.statusCode, res.body).toBe(204);
    expectProblem(await s[2]!.api.get('/api/me'), 401, 'unauthenticated');
    expect((await s[0]!.api.get('/api/me')).statusCode).toBe(200);
    expect((await s[1]!.api.get('/api/me')).statusCode).toBe(200);
    expect(json(await s[0]!.api.get('/api/me/sessions')).items.map((i: { id: string }) => i.id)).not.toContain(target);
    expect(await eventsOf(t, 'auth.session_revoked', { subjectId: u.id })).toHaveLength(1);
    // Already revoked → 404; revoking the current session signs you out.
    expectProblem(await s[0]!.api.delete(`/api/me/sessions/${target}`), 404, 'not_found');
    expect((await s[0]!.api.delete(`/api/me/sessions/${await sessionIdOf(s[0]!.cookie)}`)).statusCode).toBe(204);
    expectProblem(await s[0]!.api.get('/api/me'), 401, 'unauthenticated');
  });

  it("T-SESS-04: another user's session id (or an unknown one) → 404 not_found, and that session keeps working", async () => {
    const { s } = await threeSessions();
    const victim = await createUser(t);
    const victimSession = await sessionIdOf(victim.cookie);
    expectProblem(await s[0]!.api.delete(`/api/me/sessions/${victimSession}`), 404, 'not_found');
    expectProblem(await s[0]!.api.delete(`/api/me/sessions/${randomUUID()}`), 404, 'not_found');
    expect((await victim.api.get('/api/me')).statusCode).toBe(200);
    expect((await t.deps.db.select().from(sessions).where(eq(sessions.id, victimSession)))[0]!.revokedAt).toBeNull();
  });

  it('T-SESS-04: a password change ends the other sessions; the list then shows only the new one', async () => {
    const { s } = await threeSessions();
    const changed = await s[0]!.api.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'a fresh passphrase for 2027' });
    expect(changed.statusCode, changed.body).toBe(204);
    for (const x of s) expectProblem(await x.api.get('/api/me'), 401, 'unauthenticated');
    const fresh = ipCaller(t.app, sessionCookieOf(changed), freshIp());
    const items = json(await fresh.get('/api/me/sessions')).items;
    expect(items).toHaveLength(1);
    expect(items[0].current).toBe(true);
  });

  it('T-SESS-01: pre-login, password-step and TOTP-step cookies are three different sessions; each earlier one is dead afterwards', async () => {
    const u = await createUser(t, { email: uniqueEmail('fixation') });
    const ip = freshIp();
    const { secret } = await enrolTotp(t, ipCaller(t.app, u.cookie, ip));
    const before = u.cookie; // a session that exists before this sign-in, presented with it
    const step = await passwordStep(t, u.email, PASSWORD, ip, before);
    expect(step.body.mfaRequired).toBe(true);
    expect(tokenOf(step.cookie)).not.toBe(tokenOf(before));
    expectProblem(await ipCaller(t.app, before, ip).get('/api/me'), 401, 'unauthenticated');
    const pending = ipCaller(t.app, step.cookie, ip);
    const verified = await pending.post('/api/auth/mfa/verify', { code: codeNow(t, secret) });
    expect(verified.statusCode, verified.body).toBe(200);
    t.clock.advance(STEP);
    const after = sessionCookieOf(verified);
    expect(new Set([tokenOf(before), tokenOf(step.cookie), tokenOf(after)]).size).toBe(3);
    expectProblem(await pending.get('/api/me'), 401, 'unauthenticated');
    expectProblem(await pending.post('/api/auth/mfa/verify', { code: codeNow(t, secret) }), 401, 'unauthenticated');
    const api = ipCaller(t.app, after, ip);
    expect(json(await api.get('/api/me')).nextStep).toBeNull();
    const listed = json(await api.get('/api/me/sessions')).items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ current: true, id: await sessionIdOf(after) });
    // The pending session row is revoked in the database, not just forgotten by the cookie.
    expect((await t.deps.db.select().from(sessions).where(eq(sessions.id, await sessionIdOf(step.cookie))))[0]!.revokedAt).not.toBeNull();
  });

  it('a pending (password-only) session is not listed among the live sessions', async () => {
    const u = await createUser(t, { email: uniqueEmail('pending') });
    const ip = freshIp();
    const api = ipCaller(t.app, u.cookie, ip);
    await enrolTotp(t, api);
    const step = await passwordStep(t, u.email, PASSWORD, ip);
    expect(step.body.mfaRequired).toBe(true);
    const items = json(await api.get('/api/me/sessions')).items;
    expect(items.map((i: { id: string }) => i.id)).toEqual([await sessionIdOf(u.cookie)]);
  });
});
