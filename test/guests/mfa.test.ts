import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, recoveryCodes, userTotp } from '../../src/db/schema/index.js';
import { totpCode } from '../../src/modules/mfa/totp.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, mailsTo, PASSWORD, uniqueEmail } from '../factories.js';
import {
  apiRoutes,
  bodyFor,
  BODY_OVERRIDES,
  callRoute,
  codeNow,
  enrolTotp,
  eventsOf,
  fillPath,
  freshIp,
  ipCaller,
  passwordStep,
  PUBLIC_ROUTES,
  STEP,
  tablesContaining,
  wrongCode,
} from './support.js';

/** Issue 5: TOTP MFA — enrolment, the second sign-in step, replay, throttling, recovery codes, re-authentication. */
describe('TOTP MFA', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000' } });
  });
  afterAll(() => t.close());

  async function plainUser() {
    const u = await createUser(t, { email: uniqueEmail('mfa') });
    const ip = freshIp();
    return { ...u, ip, api: ipCaller(t.app, u.cookie, ip) };
  }

  async function mfaUser() {
    const u = await plainUser();
    return { ...u, ...(await enrolTotp(t, u.api)) };
  }

  const totpRow = async (userId: string) => (await t.deps.db.select().from(userTotp).where(eq(userTotp.userId, userId)))[0];
  const subjects = async (email: string) => (await mailsTo(t, email)).map((m) => m.subject);

  describe('T-MFA-01: enrolment', () => {
    it('is inactive until a valid code confirms it; the secret is 160 bits, stored encrypted, and never shown again', async () => {
      const u = await plainUser();
      const start = await u.api.post('/api/me/mfa/totp');
      expect(start.statusCode, start.body).toBe(200);
      const { secret, otpauthUri, qrCodeDataUrl } = json(start);
      expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 32 base32 characters = 160 bits
      expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
      expect(otpauthUri).toContain(`secret=${secret}`);
      expect(qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);

      // Not active yet: status off, sign-in without a second step, protected routes work.
      expect(json(await u.api.get('/api/me/mfa'))).toMatchObject({ enabled: false, enabledAt: null, recoveryCodesRemaining: 0 });
      expect((await passwordStep(t, u.email, PASSWORD, u.ip)).body.mfaRequired).toBe(false);
      expect((await u.api.get('/api/workspaces')).statusCode).toBe(200);
      const pending = await totpRow(u.id);
      expect(pending!.confirmedAt).toBeNull();
      expect(pending!.secretEncrypted).not.toContain(secret);
      expect(await tablesContaining(t, secret)).toEqual([]);

      // A wrong code does not confirm.
      expectProblem(await u.api.post('/api/me/mfa/totp/confirm', { code: wrongCode(t, secret) }), 401, 'invalid_mfa_code');
      expect(json(await u.api.get('/api/me/mfa')).enabled).toBe(false);

      const code = codeNow(t, secret);
      const confirm = await u.api.post('/api/me/mfa/totp/confirm', { code });
      expect(confirm.statusCode, confirm.body).toBe(200);
      const codes: string[] = json(confirm).recoveryCodes;
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const c of codes) expect(c.replace(/-/g, '')).toMatch(/^[A-Z0-9]{10}$/);
      expect(json(await u.api.get('/api/me/mfa'))).toMatchObject({ enabled: true, recoveryCodesRemaining: 10 });
      expect(await eventsOf(t, 'auth.mfa_enabled', { subjectId: u.id })).toHaveLength(1);
      expect(await subjects(u.email)).toContain('Multi-factor authentication was turned on');

      // Never returned again: a new enrolment is refused, and no read shows the secret.
      expectProblem(await u.api.post('/api/me/mfa/totp'), 409, 'mfa_already_enabled');
      for (const url of ['/api/me/mfa', '/api/me', '/api/me/devices']) expect((await u.api.get(url)).body).not.toContain(secret);
      expectProblem(await u.api.post('/api/me/mfa/totp/confirm', { code }), 409, 'mfa_already_enabled');
      expect(await tablesContaining(t, secret)).toEqual([]);
      // Recovery codes are stored hashed only.
      for (const c of codes) {
        expect(await tablesContaining(t, c)).toEqual([]);
        expect(await tablesContaining(t, c.replace(/-/g, ''))).toEqual([]);
      }
      const stored = await t.deps.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, u.id));
      expect(stored).toHaveLength(10);
      for (const r of stored) expect(r.codeHash).toMatch(/^[0-9a-f]{64}$/);

      // The confirmation code cannot also finish the next sign-in (same 30-second step).
      const next = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect(next.body.mfaRequired).toBe(true);
      expectProblem(await next.api.post('/api/auth/mfa/verify', { code }), 401, 'invalid_mfa_code');
      t.clock.advance(STEP);
      expect((await next.api.post('/api/auth/mfa/verify', { code: codeNow(t, secret) })).statusCode).toBe(200);
      t.clock.advance(STEP);
    });

    it('restarting an unconfirmed enrolment replaces the secret: codes of the old one do not confirm', async () => {
      const u = await plainUser();
      const first = json(await u.api.post('/api/me/mfa/totp')).secret;
      const second = json(await u.api.post('/api/me/mfa/totp')).secret;
      expect(second).not.toBe(first);
      expectProblem(await u.api.post('/api/me/mfa/totp/confirm', { code: codeNow(t, first) }), 401, 'invalid_mfa_code');
      expect((await u.api.post('/api/me/mfa/totp/confirm', { code: codeNow(t, second) })).statusCode).toBe(200);
      t.clock.advance(STEP);
    });

    it('confirming without starting → 409 conflict', async () => {
      const u = await plainUser();
      expectProblem(await u.api.post('/api/me/mfa/totp/confirm', { code: '123456' }), 409, 'conflict');
    });
  });

  describe('T-MFA-02: the mfa_pending state', () => {
    it('after the password step only GET /api/me, sign-out and the MFA step work: every other route → 401 mfa_required (swept from the OpenAPI document)', async () => {
      const u = await mfaUser();
      const owned = await createWorkspace(u, 'Mine');
      const step = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect(step.body).toMatchObject({ mfaRequired: true, passwordChangeRequired: false });
      const me = json(await step.api.get('/api/me'));
      expect(me).toMatchObject({ nextStep: 'mfa', mfaEnabled: true, workspaces: [] });

      const allowed = new Set(['GET /api/me', 'POST /api/auth/sign-out', 'POST /api/auth/mfa/verify']);
      const routes = apiRoutes(t).filter((r) => !PUBLIC_ROUTES.has(r.key) && !allowed.has(r.key));
      expect(routes.length).toBeGreaterThan(40);
      for (const route of routes) {
        const res = await callRoute(step.api, route, fillPath(route.path, { workspaceId: owned.id }), bodyFor(route, BODY_OVERRIDES));
        expect(res.statusCode, `${route.key}: ${res.body}`).toBe(401);
        expect(json(res).code, route.key).toBe('mfa_required');
      }
      // No API token could be minted while pending (an alternative login path).
      expect(await t.deps.db.select().from(apiTokens).where(eq(apiTokens.userId, u.id))).toHaveLength(0);

      // Positive control: after the second step, the same session family works.
      const verified = await step.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret) });
      expect(verified.statusCode, verified.body).toBe(200);
      t.clock.advance(STEP);
      // Sign-out of a pending session works too.
      const again = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect((await again.api.post('/api/auth/sign-out')).statusCode).toBe(204);
      expectProblem(await again.api.get('/api/me'), 401, 'unauthenticated');
    });

    it('a verify call from a fully signed-in session changes nothing and is not a way to mint sessions', async () => {
      const u = await mfaUser();
      const res = await u.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret) });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      // The code was not consumed: it still finishes a real sign-in.
      const step = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect((await step.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret) })).statusCode).toBe(200);
      t.clock.advance(STEP);
    });
  });

  describe('T-MFA-03: replay and time window', () => {
    it('the same code twice → the second is refused (invalid_mfa_code), recorded as auth.mfa_replay_rejected, and the owner is told', async () => {
      const u = await mfaUser();
      const code = codeNow(t, u.secret);
      const one = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect((await one.api.post('/api/auth/mfa/verify', { code })).statusCode).toBe(200);
      const two = await passwordStep(t, u.email, PASSWORD, u.ip);
      expectProblem(await two.api.post('/api/auth/mfa/verify', { code }), 401, 'invalid_mfa_code');
      expectProblem(await two.api.get('/api/workspaces'), 401, 'mfa_required');
      expect(await eventsOf(t, 'auth.mfa_replay_rejected', { subjectId: u.id })).toHaveLength(1);
      expect(await subjects(u.email)).toContain('A sign-in code was used twice');
      // Positive control: the next step's code finishes the same pending sign-in.
      t.clock.advance(STEP);
      expect((await two.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret) })).statusCode).toBe(200);
      t.clock.advance(STEP);
    });

    it('codes from ±2 steps are refused; ±1 step (clock drift) is accepted', async () => {
      const u = await mfaUser();
      t.clock.advance(3 * STEP);
      const at = (steps: number) => totpCode(u.secret, new Date(t.clock.now().getTime() + steps * STEP));
      const first = await passwordStep(t, u.email, PASSWORD, u.ip);
      expectProblem(await first.api.post('/api/auth/mfa/verify', { code: at(-2) }), 401, 'invalid_mfa_code');
      expectProblem(await first.api.post('/api/auth/mfa/verify', { code: at(+2) }), 401, 'invalid_mfa_code');
      expect(await eventsOf(t, 'auth.mfa_replay_rejected', { subjectId: u.id })).toHaveLength(0); // wrong, not replayed
      expect((await first.api.post('/api/auth/mfa/verify', { code: at(-1) })).statusCode).toBe(200);
      const second = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect((await second.api.post('/api/auth/mfa/verify', { code: at(+1) })).statusCode).toBe(200);
      // Having used step +1, the current step's code is now older than the last used one: refused.
      const third = await passwordStep(t, u.email, PASSWORD, u.ip);
      expectProblem(await third.api.post('/api/auth/mfa/verify', { code: at(0) }), 401, 'invalid_mfa_code');
      t.clock.advance(3 * STEP);
    });

    it.skipIf(!process.env.DATABASE_URL)('(race, PostgreSQL) two parallel verifications of one fresh code → exactly one succeeds', async () => {
      for (let round = 0; round < 3; round++) {
        const u = await mfaUser();
        const a = await passwordStep(t, u.email, PASSWORD, u.ip);
        const b = await passwordStep(t, u.email, PASSWORD, u.ip);
        const code = codeNow(t, u.secret);
        const results = await Promise.all([a.api.post('/api/auth/mfa/verify', { code }), b.api.post('/api/auth/mfa/verify', { code })]);
        const statuses = results.map((r) => r.statusCode).sort();
        expect(statuses, results.map((r) => r.body).join(' | ')).toEqual([200, 401]);
        expectProblem(results.find((r) => r.statusCode === 401)!, 401, 'invalid_mfa_code');
        t.clock.advance(STEP);
      }
    });
  });

  describe('T-MFA-04: attempt limit', () => {
    it('5 wrong codes end the pending sign-in (401 mfa_attempts_exceeded); the password step works again — no permanent lockout', async () => {
      const u = await mfaUser();
      const step = await passwordStep(t, u.email, PASSWORD, u.ip);
      const right = codeNow(t, u.secret);
      const wrong = wrongCode(t, u.secret);
      for (let i = 1; i <= 4; i++) expectProblem(await step.api.post('/api/auth/mfa/verify', { code: wrong }), 401, 'invalid_mfa_code');
      expectProblem(await step.api.post('/api/auth/mfa/verify', { code: wrong }), 401, 'mfa_attempts_exceeded');
      // The pending session is gone: even the right code no longer finishes it.
      expectProblem(await step.api.post('/api/auth/mfa/verify', { code: right }), 401, 'unauthenticated');
      expectProblem(await step.api.get('/api/me'), 401, 'unauthenticated');
      expect((await eventsOf(t, 'auth.mfa_failed', { subjectId: u.id })).length).toBe(5);

      const again = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect(again.body.mfaRequired).toBe(true);
      expect((await again.api.post('/api/auth/mfa/verify', { code: right })).statusCode).toBe(200);
      t.clock.advance(STEP);
    });

    it('the counter is per pending sign-in: 4 wrong codes on one do not lock another', async () => {
      const u = await mfaUser();
      const a = await passwordStep(t, u.email, PASSWORD, u.ip);
      const b = await passwordStep(t, u.email, PASSWORD, u.ip);
      for (let i = 0; i < 4; i++) expectProblem(await a.api.post('/api/auth/mfa/verify', { code: wrongCode(t, u.secret) }), 401, 'invalid_mfa_code');
      expectProblem(await b.api.post('/api/auth/mfa/verify', { code: wrongCode(t, u.secret) }), 401, 'invalid_mfa_code');
      expect((await b.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret) })).statusCode).toBe(200);
      t.clock.advance(STEP);
    });
  });

  describe('T-MFA-05: recovery codes', () => {
    it('a recovery code works once; the second use is refused; regenerating invalidates all old codes', async () => {
      const u = await mfaUser();
      const [c1, c2, c3] = u.recoveryCodes;
      const s1 = await passwordStep(t, u.email, PASSWORD, u.ip);
      const ok = await s1.api.post('/api/auth/mfa/verify', { recoveryCode: c1 });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(await eventsOf(t, 'auth.recovery_code_used', { subjectId: u.id })).toHaveLength(1);
      const s2 = await passwordStep(t, u.email, PASSWORD, u.ip);
      expectProblem(await s2.api.post('/api/auth/mfa/verify', { recoveryCode: c1 }), 401, 'invalid_mfa_code');
      // Lower case and without the dash is the same code (what people type).
      expect((await s2.api.post('/api/auth/mfa/verify', { recoveryCode: c2!.toLowerCase().replace('-', '') })).statusCode).toBe(200);
      expect(json(await u.api.get('/api/me/mfa')).recoveryCodesRemaining).toBe(8);

      const regen = await u.api.post('/api/me/mfa/recovery-codes', { password: PASSWORD, code: codeNow(t, u.secret) });
      expect(regen.statusCode, regen.body).toBe(200);
      t.clock.advance(STEP);
      const fresh: string[] = json(regen).recoveryCodes;
      expect(fresh).toHaveLength(10);
      expect(fresh).not.toContain(c3);
      expect(json(await u.api.get('/api/me/mfa')).recoveryCodesRemaining).toBe(10);
      const s3 = await passwordStep(t, u.email, PASSWORD, u.ip);
      expectProblem(await s3.api.post('/api/auth/mfa/verify', { recoveryCode: c3 }), 401, 'invalid_mfa_code');
      expect((await s3.api.post('/api/auth/mfa/verify', { recoveryCode: fresh[0] })).statusCode).toBe(200);
      expect(await subjects(u.email)).toContain('New recovery codes were created');
    });

    it('a body with both a code and a recovery code, or neither, → 400 validation_failed', async () => {
      const u = await mfaUser();
      const step = await passwordStep(t, u.email, PASSWORD, u.ip);
      expectProblem(await step.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret), recoveryCode: u.recoveryCodes[0] }), 400, 'validation_failed');
      expectProblem(await step.api.post('/api/auth/mfa/verify', {}), 400, 'validation_failed');
      expect(json(await u.api.get('/api/me/mfa')).recoveryCodesRemaining).toBe(10);
    });
  });

  describe('T-MFA-06: changing factors needs the password and a current code', () => {
    it('disable: wrong password, missing code, wrong code → 401 reauth_required and MFA stays on; with both → 204 and a notice mail', async () => {
      const u = await mfaUser();
      const before = (await subjects(u.email)).length;
      expectProblem(await u.api.post('/api/me/mfa/disable', { password: 'wrong password here', code: codeNow(t, u.secret) }), 401, 'reauth_required');
      expectProblem(await u.api.post('/api/me/mfa/disable', { password: PASSWORD }), 401, 'reauth_required');
      expectProblem(await u.api.post('/api/me/mfa/disable', { password: PASSWORD, code: wrongCode(t, u.secret) }), 401, 'reauth_required');
      expect(json(await u.api.get('/api/me/mfa')).enabled).toBe(true);
      expect((await passwordStep(t, u.email, PASSWORD, u.ip)).body.mfaRequired).toBe(true);
      expect((await subjects(u.email)).length).toBe(before);

      const off = await u.api.post('/api/me/mfa/disable', { password: PASSWORD, code: codeNow(t, u.secret) });
      expect(off.statusCode, off.body).toBe(204);
      t.clock.advance(STEP);
      expect(json(await u.api.get('/api/me/mfa'))).toMatchObject({ enabled: false, recoveryCodesRemaining: 0 });
      expect(await subjects(u.email)).toContain('Multi-factor authentication was turned off');
      expect(await eventsOf(t, 'auth.mfa_disabled', { subjectId: u.id })).toHaveLength(1);
      expect((await passwordStep(t, u.email, PASSWORD, u.ip)).body.mfaRequired).toBe(false);
      expect(await t.deps.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, u.id))).toHaveLength(0);
      // Disabling again → 409 conflict.
      expectProblem(await u.api.post('/api/me/mfa/disable', { password: PASSWORD, code: '123456' }), 409, 'conflict');
    });

    it('disable with a recovery code as the second factor works; the code is spent', async () => {
      const u = await mfaUser();
      expect((await u.api.post('/api/me/mfa/disable', { password: PASSWORD, recoveryCode: u.recoveryCodes[0] })).statusCode).toBe(204);
      expect(json(await u.api.get('/api/me/mfa')).enabled).toBe(false);
    });

    it('regenerating recovery codes: wrong password or no code → 401 reauth_required and the old codes still work', async () => {
      const u = await mfaUser();
      expectProblem(await u.api.post('/api/me/mfa/recovery-codes', { password: 'wrong password here', code: codeNow(t, u.secret) }), 401, 'reauth_required');
      expectProblem(await u.api.post('/api/me/mfa/recovery-codes', { password: PASSWORD }), 401, 'reauth_required');
      expect(json(await u.api.get('/api/me/mfa')).recoveryCodesRemaining).toBe(10);
      const step = await passwordStep(t, u.email, PASSWORD, u.ip);
      expect((await step.api.post('/api/auth/mfa/verify', { recoveryCode: u.recoveryCodes[9] })).statusCode).toBe(200);
    });

    it('re-enrolment needs MFA off first (409 mfa_already_enabled), and a new secret after disabling', async () => {
      const u = await mfaUser();
      expectProblem(await u.api.post('/api/me/mfa/totp'), 409, 'mfa_already_enabled');
      await u.api.post('/api/me/mfa/disable', { password: PASSWORD, code: codeNow(t, u.secret) });
      t.clock.advance(STEP);
      const again = await enrolTotp(t, u.api);
      expect(again.secret).not.toBe(u.secret);
      const step = await passwordStep(t, u.email, PASSWORD, u.ip);
      expectProblem(await step.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret) }), 401, 'invalid_mfa_code');
      expect((await step.api.post('/api/auth/mfa/verify', { code: codeNow(t, again.secret) })).statusCode).toBe(200);
      t.clock.advance(STEP);
    });
  });

  describe('T-MFA-09: workspace MFA requirement', () => {
    it("'everyone' gates members too (403 mfa_enrolment_required) while enrolment routes stay reachable", async () => {
      const owner = await createUser(t, { email: uniqueEmail('owner') });
      const ws = await createWorkspace(owner, 'Strict Co');
      const member = await addMember(t, owner, ws.id, 'user');
      const ip = freshIp();
      const api = ipCaller(t.app, member.cookie, ip);
      expect((await api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);

      expect((await owner.api.patch(`/api/workspaces/${ws.id}`, { mfaRequirement: 'everyone' })).statusCode).toBe(200);
      expectProblem(await api.get(`/api/workspaces/${ws.id}/locations`), 403, 'mfa_enrolment_required');
      expectProblem(await api.get(`/api/workspaces/${ws.id}/members`), 403, 'mfa_enrolment_required');
      expectProblem(await api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [uniqueEmail('x')], role: 'guest' }), 403, 'mfa_enrolment_required');
      // Admins too: the owner has no MFA either.
      expectProblem(await owner.api.get(`/api/workspaces/${ws.id}/activity`), 403, 'mfa_enrolment_required');
      expect(json(await api.get(`/api/workspaces/${ws.id}`)).pendingRequirements).toEqual(['mfa']);
      expect((await api.get('/api/me')).statusCode).toBe(200);
      expect((await api.get('/api/workspaces')).statusCode).toBe(200);

      const { secret } = await enrolTotp(t, api);
      expect((await api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
      expect(json(await api.get(`/api/workspaces/${ws.id}`)).pendingRequirements).toEqual([]);
      // Turning MFA off again brings the gate back.
      expect((await api.post('/api/me/mfa/disable', { password: PASSWORD, code: codeNow(t, secret) })).statusCode).toBe(204);
      expectProblem(await api.get(`/api/workspaces/${ws.id}/locations`), 403, 'mfa_enrolment_required');
      t.clock.advance(STEP);
    });

    it("'guests' gates guests only; 'off' gates nobody", async () => {
      const owner = await createUser(t, { email: uniqueEmail('owner') });
      const ws = await createWorkspace(owner, 'Guests MFA Co');
      const member = await addMember(t, owner, ws.id, 'user');
      const guest = await addMember(t, owner, ws.id, 'guest');
      await owner.api.patch(`/api/workspaces/${ws.id}`, { mfaRequirement: 'guests' });
      expect((await member.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
      expect((await owner.api.get(`/api/workspaces/${ws.id}/activity`)).statusCode).toBe(200);
      expectProblem(await guest.api.get(`/api/workspaces/${ws.id}/locations`), 403, 'mfa_enrolment_required');
      await owner.api.patch(`/api/workspaces/${ws.id}`, { mfaRequirement: 'off' });
      expect((await guest.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
    });
  });
});
