import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE, SECOND } from '../../src/app/context.js';
import { trustedDevices } from '../../src/db/schema/index.js';
import { hashToken } from '../../src/lib/crypto.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertUser } from '../../src/modules/auth/repo.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, mailsTo, PASSWORD, uniqueEmail } from '../factories.js';
import { codeNow, cookieOf, enrolTotp, freshIp, fullSignIn, ipCaller, passwordStep, setCookies, STEP, tablesContaining, tokenOf } from './support.js';

/** Issue 5: trusted devices (T-MFA-07, T-MFA-08), the device list, the limit of 20 and device approval. */

const SAFARI_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

describe('trusted devices', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000' } });
  });
  afterAll(() => t.close());

  async function mfaUser() {
    const u = await createUser(t, { email: uniqueEmail('dev') });
    const ip = freshIp();
    const api = ipCaller(t.app, u.cookie, ip);
    return { ...u, ip, api, ...(await enrolTotp(t, api)) };
  }
  type MfaUser = Awaited<ReturnType<typeof mfaUser>>;

  const skips = async (u: MfaUser, device: string | undefined, password = PASSWORD) => !(await passwordStep(t, u.email, password, u.ip, device)).body.mfaRequired;
  const devicesOf = (userId: string) => t.deps.db.select().from(trustedDevices).where(eq(trustedDevices.userId, userId));
  /** The 6-digit code of the newest device mail to this address. */
  const latestDeviceCode = async (email: string) => {
    const mail = (await mailsTo(t, email)).find((m) => /device code/i.test(m.subject));
    return /(\d{6})/.exec(mail!.subject)![1]!;
  };

  describe('T-MFA-07: the device cookie', () => {
    it('is opaque, HttpOnly, SameSite, finite; only its hash is stored; it skips the second step for its own user only', async () => {
      const a = await mfaUser();
      const s = await fullSignIn(t, a.email, PASSWORD, a.secret, a.ip, { trustDevice: true, headers: { 'user-agent': SAFARI_MAC } });
      expect(s.body).toEqual({ ok: true, devicePendingApproval: false, deviceLimitReached: false });
      const header = setCookies(s.res).find((c) => c.startsWith('gh_device='))!;
      expect(header).toMatch(/; HttpOnly/i);
      expect(header).toMatch(/; SameSite=(Lax|Strict)/i);
      expect(header).toMatch(/; Path=\//);
      expect(header).toMatch(/; Max-Age=\d+/);
      expect(header).not.toMatch(/; Domain=/i);
      const value = tokenOf(s.device!);
      expect(value).toMatch(/^[A-Za-z0-9_-]{43,}$/); // ≥ 256 bits, base64url, nothing readable inside
      expect(value).not.toContain(a.id);
      const [row] = await devicesOf(a.id);
      expect(row).toMatchObject({ status: 'approved', tokenHash: hashToken(value), browser: 'Safari', os: 'macOS', ip: a.ip });
      expect(await tablesContaining(t, value)).toEqual([]);

      // Own user: the second step is skipped, and the session is fully signed in.
      const trusted = await passwordStep(t, a.email, PASSWORD, a.ip, s.device);
      expect(trusted.body.mfaRequired).toBe(false);
      expect((await trusted.api.get('/api/workspaces')).statusCode).toBe(200);
      // With a wrong password the cookie is worth nothing.
      expectProblem(await ipCaller(t.app, s.device, a.ip).post('/api/auth/sign-in', { email: a.email, password: 'not my password at all' }), 401, 'invalid_credentials');
      // Another user's correct password with A's device cookie: B is still asked for B's second factor.
      const b = await mfaUser();
      const other = await passwordStep(t, b.email, PASSWORD, b.ip, s.device);
      expect(other.body.mfaRequired).toBe(true);
      expectProblem(await other.api.get('/api/workspaces'), 401, 'mfa_required');
      // A forged cookie does nothing either.
      expect(await skips(a, 'gh_device=' + 'A'.repeat(43))).toBe(false);
    });

    it('is Secure when the app is served over https', async () => {
      const https = await createTestApp({ config: { APP_URL: 'https://gatehouse.test', RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000' } });
      try {
        const ip = freshIp();
        const origin = { origin: 'https://gatehouse.test' };
        const email = uniqueEmail('tls');
        const now = https.clock.now();
        await insertUser(https.deps.db, { id: randomUUID(), email, name: 'Tls', passwordHash: await hashPassword(PASSWORD), emailVerifiedAt: now, createdAt: now, updatedAt: now });
        const signIn = await ipCaller(https.app, undefined, ip, origin).post('/api/auth/sign-in', { email, password: PASSWORD });
        const session = cookieOf(signIn, '__Host-gh_session')!;
        const api = ipCaller(https.app, session, ip, origin);
        const { secret } = json(await api.post('/api/me/mfa/totp'));
        expect((await api.post('/api/me/mfa/totp/confirm', { code: codeNow(https, secret) })).statusCode).toBe(200);
        https.clock.advance(STEP);
        const step = await ipCaller(https.app, undefined, ip, origin).post('/api/auth/sign-in', { email, password: PASSWORD });
        const pending = ipCaller(https.app, cookieOf(step, '__Host-gh_session'), ip, origin);
        const verified = await pending.post('/api/auth/mfa/verify', { code: codeNow(https, secret), trustDevice: true });
        expect(verified.statusCode, verified.body).toBe(200);
        const device = setCookies(verified).find((c) => /^(__Host-)?gh_device=/.test(c))!;
        // T-MFA-07: over https the device cookie is `__Host-` prefixed, like the session cookie.
        expect(device).toMatch(/^__Host-gh_device=/);
        expect(device).toMatch(/; Secure/i);
        expect(device).toMatch(/; HttpOnly/i);
        expect(device).toMatch(/; Path=\//i);
        expect(device).not.toMatch(/; Domain=/i);
      } finally {
        await https.close();
      }
    });

  });

  describe('T-MFA-08: a device does not outlive a change of factors', () => {
    it('after a password change the old device no longer skips; a device trusted afterwards does', async () => {
      const u = await mfaUser();
      const { device } = await fullSignIn(t, u.email, PASSWORD, u.secret, u.ip, { trustDevice: true });
      expect(await skips(u, device)).toBe(true);
      t.clock.advance(SECOND);
      const NEW = 'an entirely new passphrase 99';
      const changed = await u.api.post('/api/me/password', { currentPassword: PASSWORD, newPassword: NEW });
      expect(changed.statusCode, changed.body).toBe(204);
      t.clock.advance(SECOND);
      expect(await skips(u, device, NEW)).toBe(false);
      const again = await fullSignIn(t, u.email, NEW, u.secret, u.ip, { trustDevice: true });
      expect(again.device).not.toBe(device);
      expect(await skips(u, again.device, NEW)).toBe(true);
      expect(await skips(u, device, NEW)).toBe(false);
    });

    it('after MFA is disabled and enrolled again the old device no longer skips (it was removed)', async () => {
      const u = await mfaUser();
      const { device, api } = await fullSignIn(t, u.email, PASSWORD, u.secret, u.ip, { trustDevice: true });
      expect(await skips(u, device)).toBe(true);
      expect((await api.post('/api/me/mfa/disable', { password: PASSWORD, code: codeNow(t, u.secret) })).statusCode).toBe(204);
      t.clock.advance(STEP);
      expect((await devicesOf(u.id)).map((d) => d.status)).toEqual(['removed']);
      const { secret } = await enrolTotp(t, api);
      expect(await skips(u, device)).toBe(false);
      // Positive control: a device trusted with the new authenticator skips.
      const fresh = await fullSignIn(t, u.email, PASSWORD, secret, u.ip, { trustDevice: true });
      expect(await skips(u, fresh.device)).toBe(true);
    });

    it('a device trusted before MFA was enrolled does not skip it', async () => {
      const u = await createUser(t, { email: uniqueEmail('early') });
      const ip = freshIp();
      const api = ipCaller(t.app, u.cookie, ip);
      const created = await api.post('/api/me/devices', {});
      expect(created.statusCode, created.body).toBe(201);
      const device = cookieOf(created, 'gh_device')!;
      t.clock.advance(SECOND);
      const { secret } = await enrolTotp(t, api);
      expect((await passwordStep(t, u.email, PASSWORD, ip, device)).body.mfaRequired).toBe(true);
      // Positive control: a device trusted after enrolment skips.
      const fresh = await fullSignIn(t, u.email, PASSWORD, secret, ip, { trustDevice: true });
      expect((await passwordStep(t, u.email, PASSWORD, ip, fresh.device)).body.mfaRequired).toBe(false);
    });
  });

  describe('listing and removing', () => {
    it('lists own devices with browser, OS, IP, last use and `current`; removing one ends its trust for good', async () => {
      const u = await mfaUser();
      const mac = await fullSignIn(t, u.email, PASSWORD, u.secret, u.ip, { trustDevice: true, headers: { 'user-agent': SAFARI_MAC } });
      const linux = await fullSignIn(t, u.email, PASSWORD, u.secret, u.ip, { trustDevice: true, headers: { 'user-agent': FIREFOX_LINUX } });
      const list = json(await mac.api.get('/api/me/devices')).items;
      expect(list).toHaveLength(2);
      const macRow = list.find((d: { browser: string }) => d.browser === 'Safari');
      const linuxRow = list.find((d: { browser: string }) => d.browser === 'Firefox');
      expect(macRow).toMatchObject({ os: 'macOS', name: 'Safari on macOS', ip: u.ip, status: 'approved', current: true });
      expect(linuxRow).toMatchObject({ os: 'Linux', status: 'approved', current: false });
      for (const d of list) {
        expect(Object.keys(d).sort()).toEqual(['approvedAt', 'browser', 'createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'name', 'os', 'status']);
      }
      // Using a device updates its last use.
      t.clock.advance(MINUTE);
      expect(await skips(u, linux.device)).toBe(true);
      const used = json(await mac.api.get('/api/me/devices')).items.find((d: { id: string }) => d.id === linuxRow.id);
      expect(new Date(used.lastUsedAt).getTime()).toBe(t.clock.now().getTime());

      const del = await mac.api.delete(`/api/me/devices/${linuxRow.id}`);
      expect(del.statusCode, del.body).toBe(204);
      expect(await skips(u, linux.device)).toBe(false);
      expect(await skips(u, mac.device)).toBe(true); // positive control
      const after = json(await mac.api.get('/api/me/devices')).items;
      expect(after.find((d: { id: string }) => d.id === linuxRow.id).status).toBe('removed');
      // Removing again is a no-op.
      expect((await mac.api.delete(`/api/me/devices/${linuxRow.id}`)).statusCode).toBe(204);
      expect(await skips(u, linux.device)).toBe(false);
    });

    it("another user's device id → 404 not_found on remove, approve and resend; that device is untouched", async () => {
      const a = await mfaUser();
      const b = await mfaUser();
      const { device } = await fullSignIn(t, a.email, PASSWORD, a.secret, a.ip, { trustDevice: true });
      const [row] = await devicesOf(a.id);
      expectProblem(await b.api.delete(`/api/me/devices/${row!.id}`), 404, 'not_found');
      expectProblem(await b.api.post(`/api/me/devices/${row!.id}/approve`, { code: '123456' }), 404, 'not_found');
      expectProblem(await b.api.post(`/api/me/devices/${row!.id}/resend-code`), 404, 'not_found');
      expect(json(await b.api.get('/api/me/devices')).items).toEqual([]);
      expect((await devicesOf(a.id))[0]!.status).toBe('approved');
      expect(await skips(a, device)).toBe(true);
    });

    it('at most 20 live devices: the 21st → 409 device_limit; removing one makes room', async () => {
      const u = await mfaUser();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await u.api.post('/api/me/devices', { name: `Laptop ${i}` });
        expect(res.statusCode, res.body).toBe(201);
        ids.push(json(res).id);
      }
      expectProblem(await u.api.post('/api/me/devices', { name: 'One too many' }), 409, 'device_limit');
      expect(await devicesOf(u.id)).toHaveLength(20);
      // Trusting at sign-in is limited too, but a correct code still signs in: no device, and the answer says why.
      const step = await passwordStep(t, u.email, PASSWORD, u.ip);
      const verified = await step.api.post('/api/auth/mfa/verify', { code: codeNow(t, u.secret), trustDevice: true });
      expect(verified.statusCode, verified.body).toBe(200);
      expect(json(verified)).toEqual({ ok: true, devicePendingApproval: false, deviceLimitReached: true });
      expect(setCookies(verified).some((c) => c.startsWith('gh_device='))).toBe(false);
      expect(await devicesOf(u.id)).toHaveLength(20);
      expect((await u.api.delete(`/api/me/devices/${ids[0]}`)).statusCode).toBe(204);
      expect((await u.api.post('/api/me/devices', { name: 'Replacement' })).statusCode).toBe(201);
      t.clock.advance(STEP);
    });
  });

  describe('device approval (workspace setting)', () => {
    async function approvalSetup() {
      const owner = await createUser(t, { email: uniqueEmail('owner') });
      const ws = await createWorkspace(owner, 'Approval Co');
      const member = await addMember(t, owner, ws.id, 'user');
      expect((await owner.api.patch(`/api/workspaces/${ws.id}`, { deviceApprovalRequired: true })).statusCode).toBe(200);
      const ip = freshIp();
      const api = ipCaller(t.app, member.cookie, ip);
      const { secret } = await enrolTotp(t, api);
      const u = { ...member, ip, api, secret, recoveryCodes: [] as string[] };
      const s = await fullSignIn(t, u.email, PASSWORD, u.secret, u.ip, { trustDevice: true });
      expect(s.body).toEqual({ ok: true, devicePendingApproval: true, deviceLimitReached: false });
      const [row] = await devicesOf(u.id);
      return { owner, ws, u, s, deviceId: row!.id };
    }

    it('a new device starts pending_approval, gets a 6-digit code by mail, and does not skip MFA until approved', async () => {
      const { u, s, deviceId } = await approvalSetup();
      const [row] = await devicesOf(u.id);
      expect(row).toMatchObject({ status: 'pending_approval', approvedAt: null });
      const code = await latestDeviceCode(u.email);
      expect(code).toMatch(/^\d{6}$/);
      expect(await tablesContaining(t, `"${code}"`)).toEqual([]);
      expect(row!.approvalCodeHash).not.toContain(code);
      expect(await skips(u, s.device)).toBe(false);

      const wrong = code === '000000' ? '000001' : '000000';
      expectProblem(await s.api.post(`/api/me/devices/${deviceId}/approve`, { code: wrong }), 401, 'invalid_mfa_code');
      expect((await devicesOf(u.id))[0]!.status).toBe('pending_approval');
      const ok = await s.api.post(`/api/me/devices/${deviceId}/approve`, { code });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(json(ok)).toMatchObject({ id: deviceId, status: 'approved' });
      expect(await skips(u, s.device)).toBe(true);
      // Approving twice → 409 conflict.
      expectProblem(await s.api.post(`/api/me/devices/${deviceId}/approve`, { code }), 409, 'conflict');
    });

    it('the code expires after 5 minutes (410 device_code_expired); resend-code mails a new one that works, the old one does not', async () => {
      const { u, s, deviceId } = await approvalSetup();
      const first = await latestDeviceCode(u.email);
      t.clock.advance(5 * MINUTE + SECOND);
      expectProblem(await s.api.post(`/api/me/devices/${deviceId}/approve`, { code: first }), 410, 'device_code_expired');
      const resent = await s.api.post(`/api/me/devices/${deviceId}/resend-code`);
      expect(resent.statusCode, resent.body).toBe(204);
      const second = await latestDeviceCode(u.email);
      if (second !== first) expectProblem(await s.api.post(`/api/me/devices/${deviceId}/approve`, { code: first }), 401, 'invalid_mfa_code');
      expect((await s.api.post(`/api/me/devices/${deviceId}/approve`, { code: second })).statusCode).toBe(200);
      expect(await skips(u, s.device)).toBe(true);
      // Resending for an approved device → 409 conflict.
      expectProblem(await s.api.post(`/api/me/devices/${deviceId}/resend-code`), 409, 'conflict');
    });

    it('after 5 wrong codes even the right one is refused (410 device_code_expired) until a new code is sent', async () => {
      const { u, s, deviceId } = await approvalSetup();
      const code = await latestDeviceCode(u.email);
      const wrong = code === '000000' ? '000001' : '000000';
      for (let i = 0; i < 5; i++) expectProblem(await s.api.post(`/api/me/devices/${deviceId}/approve`, { code: wrong }), 401, 'invalid_mfa_code');
      expectProblem(await s.api.post(`/api/me/devices/${deviceId}/approve`, { code }), 410, 'device_code_expired');
      t.clock.advance(SECOND);
      expect((await s.api.post(`/api/me/devices/${deviceId}/resend-code`)).statusCode).toBe(204);
      expect((await s.api.post(`/api/me/devices/${deviceId}/approve`, { code: await latestDeviceCode(u.email) })).statusCode).toBe(200);
    });

    it('without the setting in any of the user’s workspaces, devices are approved at once (positive control)', async () => {
      const { owner, ws, u } = await approvalSetup();
      await owner.api.patch(`/api/workspaces/${ws.id}`, { deviceApprovalRequired: false });
      const s = await fullSignIn(t, u.email, PASSWORD, u.secret, u.ip, { trustDevice: true });
      expect(s.body.devicePendingApproval).toBe(false);
      expect(await skips(u, s.device)).toBe(true);
    });
  });
});
