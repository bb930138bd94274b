import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/app/context.js';
import { sessions, users } from '../../src/db/schema/index.js';
import { checkPasswordPolicy, verifyPassword } from '../../src/modules/auth/passwords.js';
import { inviteGuests } from '../../src/modules/invitations/service.js';
import { caller, createTestApp, json, type Res, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, latestInvitationToken, mailsTo, sessionCookieOf, uniqueEmail } from '../factories.js';
import {
  apiRoutes,
  bodyFor,
  BODY_OVERRIDES,
  callRoute,
  completeGuestSetup,
  eventsOf,
  fillPath,
  freshIp,
  GUEST_PASSWORD,
  ipCaller,
  latestTempPassword,
  passwordStep,
  PUBLIC_ROUTES,
  tablesContaining,
  tokenOf,
} from './support.js';

/** Issue 5: guest invitations, temporary passwords (T-GUEST-01) and the forced change (T-GUEST-02/03/04). */

/** A problem body without the per-request parts, to compare two refusals. */
const problemShape = (res: Res) => {
  const { instance: _i, traceId: _t, requestId: _r, ...rest } = json(res);
  return rest;
};

describe('guest invitations and temporary passwords', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000' } });
  });
  afterAll(() => t.close());

  async function hostWorkspace(name = 'Host Co') {
    const owner = await createUser(t, { email: uniqueEmail('owner') });
    const ws = await createWorkspace(owner, name);
    return { owner, ws };
  }

  const userRow = async (email: string) => (await t.deps.db.select().from(users).where(eq(users.email, email)))[0];

  describe('who may invite guests', () => {
    it('a member with role `user` invites guests (201) but not members (403 forbidden); an admin invites members', async () => {
      const { owner, ws } = await hostWorkspace();
      const user = await addMember(t, owner, ws.id, 'user');
      const guestEmail = uniqueEmail('guest');
      const res = await user.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [guestEmail], role: 'guest' });
      expect(res.statusCode, res.body).toBe(201);
      expect(json(res).created[0]).toMatchObject({ role: 'guest', type: 'guest', status: 'pending', inviter: { id: user.id } });

      const memberEmail = uniqueEmail('member');
      for (const role of ['user', 'login_only', 'admin']) {
        expectProblem(await user.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [memberEmail], role }), 403, 'forbidden');
      }
      // Nothing was created for the refused address; the owner (positive control) can invite it.
      const list = json(await owner.api.get(`/api/workspaces/${ws.id}/invitations?limit=200`)).items;
      expect(list.map((i: { email: string }) => i.email)).not.toContain(memberEmail);
      expect((await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [memberEmail], role: 'user' })).statusCode).toBe(201);
    });

    it('a login-only member and a guest cannot invite guests (403 forbidden)', async () => {
      const { owner, ws } = await hostWorkspace();
      const loginOnly = await addMember(t, owner, ws.id, 'login_only');
      expectProblem(await loginOnly.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [uniqueEmail('g')], role: 'guest' }), 403, 'forbidden');
      const guest = await addMember(t, owner, ws.id, 'guest');
      expectProblem(await guest.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [uniqueEmail('g')], role: 'guest' }), 403, 'forbidden');
    });
  });

  describe('company domains', () => {
    it('addresses on the workspace’s company domains are skipped as `company_domain`; others are invited; no account is created', async () => {
      const { owner, ws } = await hostWorkspace();
      const patched = await owner.api.patch(`/api/workspaces/${ws.id}`, { companyDomains: ['hostco.test', 'hostco-group.test'] });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(json(patched).settings.companyDomains).toEqual(['hostco.test', 'hostco-group.test']);

      const inside = `alex-${Date.now()}@HostCo.test`;
      const inside2 = `sam-${Date.now()}@hostco-group.test`;
      const outside = uniqueEmail('agency');
      const res = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [inside, outside, inside2], role: 'guest' });
      expect(res.statusCode, res.body).toBe(201);
      const body = json(res);
      expect(body.created.map((c: { email: string }) => c.email)).toEqual([outside]);
      expect(body.skipped).toEqual(expect.arrayContaining([{ email: inside, reason: 'company_domain' }, { email: inside2, reason: 'company_domain' }]));
      expect(body.skipped).toHaveLength(2);
      expect(await userRow(inside.toLowerCase())).toBeUndefined();
      expect(await mailsTo(t, inside)).toHaveLength(0);

      // Company domains only restrict guests: the same address can be invited as a member.
      const member = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [inside], role: 'user' });
      expect(json(member).created).toHaveLength(1);
    });
  });

  describe('existing accounts (T-RATE-04)', () => {
    it('an existing account gets a normal invitation with role guest: no temporary password, no account change, same answer shape', async () => {
      const { owner, ws } = await hostWorkspace();
      const existing = await createUser(t, { email: uniqueEmail('existing') });
      const before = await userRow(existing.email);
      const newcomer = uniqueEmail('newcomer');

      const a = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [existing.email], role: 'guest' });
      const b = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [newcomer], role: 'guest' });
      expect(a.statusCode).toBe(201);
      expect(b.statusCode).toBe(201);
      const [ca, cb] = [json(a).created[0], json(b).created[0]];
      // The inviter learns nothing about which address had an account.
      expect(Object.keys(ca).sort()).toEqual(Object.keys(cb).sort());
      expect({ ...ca, id: null, email: null }).toEqual({ ...cb, id: null, email: null });
      expect(json(a).skipped).toEqual([]);
      expect(json(b).skipped).toEqual([]);

      // The account is untouched: same password, no forced change, no temporary password.
      const after = await userRow(existing.email);
      expect(after).toEqual(before);
      expect(after!.mustChangePassword).toBe(false);
      expect(after!.tempPasswordExpiresAt).toBeNull();
      expect((await eventsOf(t, 'auth.temporary_password_issued', { subjectId: ca.id }))).toHaveLength(0);
      expect((await eventsOf(t, 'auth.temporary_password_issued', { subjectId: cb.id }))).toHaveLength(1);

      const [mailA] = await mailsTo(t, existing.email);
      expect(mailA!.text).not.toMatch(/Temporary password/i);
      expect(mailA!.text).toMatch(/\/invite\//);
      const [mailB] = await mailsTo(t, newcomer);
      expect(mailB!.text).toMatch(/Temporary password: \S+/);
      expect(mailB!.text).toContain(`Username: ${newcomer}`);
      expect(mailB!.text).toContain('Workspace: Host Co');

      // The existing user still signs in with their own password and joins as a guest by the link.
      const token = await latestInvitationToken(t, existing.email);
      const accepted = await existing.api.post(`/api/invitations/${token}/accept`);
      expect(accepted.statusCode, accepted.body).toBe(200);
      const members = json(await owner.api.get(`/api/workspaces/${ws.id}/members?type=guest`)).items;
      expect(members.find((m: { email: string }) => m.email === existing.email)).toMatchObject({ role: 'guest', type: 'guest', status: 'active' });
    });
  });

  describe('expiry', () => {
    it('guest invitations last 3 days whatever the workspace setting; member invitations follow the setting', async () => {
      const { owner, ws } = await hostWorkspace();
      await owner.api.patch(`/api/workspaces/${ws.id}`, { inviteExpiryDays: 14 });
      const now = t.clock.now().getTime();
      const guestEmail = uniqueEmail('guest');
      const g = json(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [guestEmail], role: 'guest' })).created[0];
      const m = json(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [uniqueEmail('member')], role: 'user' })).created[0];
      expect(new Date(g.expiresAt).getTime() - now).toBe(3 * DAY);
      expect(new Date(m.expiresAt).getTime() - now).toBe(14 * DAY);

      const token = await latestInvitationToken(t, guestEmail);
      expect((await caller(t.app).get(`/api/invitations/${token}`)).statusCode).toBe(200);
      t.clock.advance(3 * DAY + SECOND);
      expectProblem(await caller(t.app).get(`/api/invitations/${token}`), 410, 'invitation_expired');
    });
  });

  describe('the temporary password (T-GUEST-01)', () => {
    it('is random, at least 16 characters, meets the password policy, and is stored only as an argon2 hash', async () => {
      const { owner, ws } = await hostWorkspace();
      const e1 = uniqueEmail('g1');
      const e2 = uniqueEmail('g2');
      await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [e1, e2], role: 'guest' });
      const p1 = await latestTempPassword(t, e1);
      const p2 = await latestTempPassword(t, e2);
      expect(p1).not.toBe(p2);
      for (const p of [p1, p2]) {
        expect(p.length).toBeGreaterThanOrEqual(16);
        await expect(checkPasswordPolicy(p, { email: e1 })).resolves.toBeUndefined();
      }
      const row = await userRow(e1);
      expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword(row!.passwordHash, p1)).toBe(true);
      expect(row!.mustChangePassword).toBe(true);
      expect(row!.tempPasswordExpiresAt!.getTime() - t.clock.now().getTime()).toBe(48 * HOUR);
    });

    it('works until 48 h, then sign-in → 401 invalid_credentials exactly like a wrong password; a resend issues a working one', async () => {
      const { owner, ws } = await hostWorkspace();
      const email = uniqueEmail('late');
      const inv = json(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'guest' })).created[0];
      const temp = await latestTempPassword(t, email);
      const anon = ipCaller(t.app, undefined, freshIp());

      t.clock.advance(48 * HOUR - MINUTE);
      expect((await anon.post('/api/auth/sign-in', { email, password: temp })).statusCode).toBe(200);
      t.clock.advance(MINUTE);
      const expired = await anon.post('/api/auth/sign-in', { email, password: temp });
      const wrong = await anon.post('/api/auth/sign-in', { email, password: 'not the temporary password' });
      const unknown = await anon.post('/api/auth/sign-in', { email: uniqueEmail('nobody'), password: temp });
      expectProblem(expired, 401, 'invalid_credentials');
      expectProblem(wrong, 401, 'invalid_credentials');
      expect(problemShape(expired)).toEqual(problemShape(wrong));
      expect(problemShape(expired)).toEqual(problemShape(unknown));
      expect(setCookieHeader(expired)).toBeUndefined();

      // The admin reissues: the invitation (3 days) is still pending, and the resend brings a fresh 48 h password.
      const resent = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${inv.id}/resend`);
      expect(resent.statusCode, resent.body).toBe(200);
      t.clock.advance(SECOND);
      const fresh = await latestTempPassword(t, email);
      expect(fresh).not.toBe(temp);
      const ok = await anon.post('/api/auth/sign-in', { email, password: fresh });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(json(ok).passwordChangeRequired).toBe(true);
    });

    it('a resend issues a new temporary password: the old one stops working and its sessions end', async () => {
      const { owner, ws } = await hostWorkspace();
      const email = uniqueEmail('resend');
      const inv = json(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'guest' })).created[0];
      const oldPassword = await latestTempPassword(t, email);
      const ip = freshIp();
      const oldSession = await passwordStep(t, email, oldPassword, ip);
      expect((await oldSession.api.get('/api/me')).statusCode).toBe(200);

      t.clock.advance(2 * MINUTE); // past the resend cool-down
      const res = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${inv.id}/resend`);
      expect(res.statusCode, res.body).toBe(200);
      expect(JSON.stringify(json(res))).not.toContain(oldPassword);
      const newPassword = await latestTempPassword(t, email);
      expect(newPassword).not.toBe(oldPassword);
      expect((await eventsOf(t, 'auth.temporary_password_issued', { subjectId: inv.id })).length).toBe(2);

      expectProblem(await ipCaller(t.app, undefined, ip).post('/api/auth/sign-in', { email, password: oldPassword }), 401, 'invalid_credentials');
      expectProblem(await oldSession.api.get('/api/me'), 401, 'unauthenticated');
      const guest = await completeGuestSetup(t, email, newPassword, { ip });
      expect(guest.joinedWorkspaceIds).toEqual([ws.id]);
    });

    it('revoking the invitation kills an unused temporary password (and any session opened with it); the link answers 410', async () => {
      const { owner, ws } = await hostWorkspace();
      const email = uniqueEmail('revoked');
      const keep = uniqueEmail('kept');
      const created = json(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email, keep], role: 'guest' })).created;
      const inv = created.find((c: { email: string }) => c.email === email);
      const temp = await latestTempPassword(t, email);
      const keptTemp = await latestTempPassword(t, keep);
      const token = await latestInvitationToken(t, email);
      const ip = freshIp();
      const session = await passwordStep(t, email, temp, ip);

      const del = await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${inv.id}`);
      expect(del.statusCode, del.body).toBe(204);
      expectProblem(await ipCaller(t.app, undefined, ip).post('/api/auth/sign-in', { email, password: temp }), 401, 'invalid_credentials');
      expectProblem(await session.api.get('/api/me'), 401, 'unauthenticated');
      expectProblem(await caller(t.app).get(`/api/invitations/${token}`), 410, 'invitation_revoked');
      // Positive control: the other guest of the same batch is unaffected.
      expect((await ipCaller(t.app, undefined, ip).post('/api/auth/sign-in', { email: keep, password: keptTemp })).statusCode).toBe(200);
    });

    it('a new invitation to a guest who never finished setup (temporary password expired or revoked) brings a new working temporary password', async () => {
      const { owner, ws } = await hostWorkspace();
      const email = uniqueEmail('again');
      const first = json(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'guest' })).created[0];
      const oldPassword = await latestTempPassword(t, email);
      // The guest never signs in; the invitation is revoked (or expires), then the admin invites again.
      expect((await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${first.id}`)).statusCode).toBe(204);
      t.clock.advance(MINUTE);
      const again = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'guest' });
      expect(again.statusCode, again.body).toBe(201);
      expect(json(again).created).toHaveLength(1);
      const [mail] = await mailsTo(t, email);
      const fresh = /Temporary password: (\S+)/.exec(mail!.text)?.[1];
      // Without a new temporary password the account could never sign in (no password of its own), so the invitation could never be used.
      expect(fresh, mail!.text).toBeDefined();
      expect(fresh).not.toBe(oldPassword);
      const anon = ipCaller(t.app, undefined, freshIp());
      expectProblem(await anon.post('/api/auth/sign-in', { email, password: oldPassword }), 401, 'invalid_credentials');
      const guest = await completeGuestSetup(t, email, fresh!);
      expect(guest.joinedWorkspaceIds).toEqual([ws.id]);
    });

    it('an invitation from a second workspace while the first temporary password is unused: the newest password works and setup joins both workspaces', async () => {
      const a = await hostWorkspace('Host A');
      const b = await hostWorkspace('Host B');
      const email = uniqueEmail('two');
      await a.owner.api.post(`/api/workspaces/${a.ws.id}/invitations`, { emails: [email], role: 'guest' });
      const fromA = await latestTempPassword(t, email); // delivered
      t.clock.advance(MINUTE);
      await b.owner.api.post(`/api/workspaces/${b.ws.id}/invitations`, { emails: [email], role: 'guest' });
      const mailB = (await mailsTo(t, email)).find((m) => m.subject.includes('Host B'))!;
      const fromB = /Temporary password: (\S+)/.exec(mailB.text)?.[1];
      expect(fromB, mailB.text).toBeDefined();
      expect(fromB).not.toBe(fromA);
      // The newest password replaces the older one (like a resend).
      expectProblem(await ipCaller(t.app, undefined, freshIp()).post('/api/auth/sign-in', { email, password: fromA }), 401, 'invalid_credentials');
      const guest = await completeGuestSetup(t, email, fromB!);
      expect(guest.joinedWorkspaceIds.sort()).toEqual([a.ws.id, b.ws.id].sort());
    });

    it('is never in an API response, and never stored in clear in any table', async () => {
      const { owner, ws } = await hostWorkspace();
      const email = uniqueEmail('secret');
      const responses: Res[] = [];
      const inv = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'guest' });
      responses.push(inv);
      const id = json(inv).created[0].id;
      const first = await latestTempPassword(t, email);
      t.clock.advance(2 * MINUTE);
      responses.push(await owner.api.post(`/api/workspaces/${ws.id}/invitations/${id}/resend`));
      const second = await latestTempPassword(t, email);
      responses.push(await owner.api.get(`/api/workspaces/${ws.id}/invitations?limit=200`));
      responses.push(await owner.api.get(`/api/workspaces/${ws.id}/invitations/${id}`));
      responses.push(await owner.api.get(`/api/workspaces/${ws.id}/activity?limit=200`));
      responses.push(await owner.api.get(`/api/workspaces/${ws.id}/members?limit=200`));
      const signIn = await caller(t.app).post('/api/auth/sign-in', { email, password: second });
      responses.push(signIn, await caller(t.app, sessionCookieOf(signIn)).get('/api/me'));
      for (const res of responses) expect(res.statusCode, res.body).toBeLessThan(300);

      for (const pw of [first, second]) {
        for (const variant of [pw, pw.replace(/-/g, '')]) {
          for (const res of responses) expect(res.body).not.toContain(variant);
          expect(await tablesContaining(t, variant)).toEqual([]);
        }
      }
      // Positive control of the scan: the address itself is found where it is stored.
      expect(await tablesContaining(t, email)).toEqual(expect.arrayContaining(['users', 'invitations', 'activity_events']));
    });
  });

  describe('first sign-in: the forced change (T-GUEST-02/03/04)', () => {
    async function pendingGuest() {
      const { owner, ws } = await hostWorkspace();
      const email = uniqueEmail('first');
      const inv = json(await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'guest' })).created[0];
      const temp = await latestTempPassword(t, email);
      const ip = freshIp();
      const step = await passwordStep(t, email, temp, ip);
      expect(step.body).toMatchObject({ passwordChangeRequired: true, mfaRequired: false });
      return { owner, ws, email, temp, ip, inv, ...step };
    }

    it('T-GUEST-02: every route but GET /api/me, sign-out and complete-setup answers 403 password_change_required (swept from the OpenAPI document)', async () => {
      const g = await pendingGuest();
      const allowed = new Set(['GET /api/me', 'POST /api/auth/sign-out', 'POST /api/me/complete-setup']);
      const routes = apiRoutes(t).filter((r) => !PUBLIC_ROUTES.has(r.key) && !allowed.has(r.key));
      expect(routes.length).toBeGreaterThan(40);
      // The guest's own workspace id: the refusal must not depend on the id being foreign.
      const params = { workspaceId: g.ws.id, invitationId: g.inv.id };
      const seen: string[] = [];
      for (const route of routes) {
        const res = await callRoute(g.api, route, fillPath(route.path, params), bodyFor(route, BODY_OVERRIDES));
        expect(res.statusCode, `${route.key}: ${res.body}`).toBe(403);
        expect(json(res).code, route.key).toBe('password_change_required');
        seen.push(route.key);
      }
      expect(seen).toEqual(expect.arrayContaining(['GET /api/workspaces', 'POST /api/workspaces/{workspaceId}/invitations', 'POST /api/me/tokens', 'POST /api/me/mfa/totp', 'POST /api/me/password', 'GET /api/workspaces/{workspaceId}/local-partners']));
      expect(json(await g.api.get('/api/me'))).toMatchObject({ nextStep: 'change_password', workspaces: [] });
      // The refused calls changed nothing: still no membership, the invitation still pending.
      const inv = json(await g.owner.api.get(`/api/workspaces/${g.ws.id}/invitations/${g.inv.id}`));
      expect(inv.status).toBe('pending');
      // Sign-out is allowed.
      expect((await g.api.post('/api/auth/sign-out')).statusCode).toBe(204);
      expectProblem(await g.api.get('/api/me'), 401, 'unauthenticated');
    });

    it('T-GUEST-03: the temporary password again, a common password, or a short one → 422 weak_password; the flag stays', async () => {
      const g = await pendingGuest();
      for (const newPassword of [g.temp, 'Password1234', 'password123456', 'Sh0rt!pw']) {
        expectProblem(await g.api.post('/api/me/complete-setup', { newPassword, name: 'Gia', familyName: 'Guest' }), 422, 'weak_password');
      }
      expect((await userRow(g.email))!.mustChangePassword).toBe(true);
      expect(json(await g.api.get('/api/me')).nextStep).toBe('change_password');
      expectProblem(await g.api.get('/api/workspaces'), 403, 'password_change_required');
      // The temporary password still works (nothing was changed), and a good password is accepted.
      expect((await ipCaller(t.app, undefined, g.ip).post('/api/auth/sign-in', { email: g.email, password: g.temp })).statusCode).toBe(200);
      expect((await g.api.post('/api/me/complete-setup', { newPassword: GUEST_PASSWORD, name: 'Gia', familyName: 'Guest' })).statusCode).toBe(200);
    });

    it('T-GUEST-04: success kills the temporary password and every other session, rotates the cookie, records auth.password_changed without any password', async () => {
      const g = await pendingGuest();
      const second = await passwordStep(t, g.email, g.temp, g.ip); // another tab
      const setup = await g.api.post('/api/me/complete-setup', { newPassword: GUEST_PASSWORD, name: 'Gia', familyName: 'Guest' });
      expect(setup.statusCode, setup.body).toBe(200);
      expect(json(setup).user).toMatchObject({ name: 'Gia', familyName: 'Guest', emailVerified: true });
      expect(json(setup).joinedWorkspaceIds).toEqual([g.ws.id]);
      const fresh = sessionCookieOf(setup);
      expect(tokenOf(fresh)).not.toBe(tokenOf(g.cookie));

      // Old sessions (this one's old cookie, the other tab) are dead; the new one works.
      expectProblem(await g.api.get('/api/me'), 401, 'unauthenticated');
      expectProblem(await second.api.get('/api/me'), 401, 'unauthenticated');
      const api = ipCaller(t.app, fresh, g.ip);
      expect(json(await api.get('/api/me')).nextStep).toBeNull();
      expect((await api.get('/api/workspaces')).statusCode).toBe(200);
      const live = await t.deps.db.select().from(sessions).where(eq(sessions.userId, json(setup).user.id));
      expect(live.filter((s) => s.revokedAt === null)).toHaveLength(1);

      // The temporary password is dead, the new one works.
      const anon = ipCaller(t.app, undefined, g.ip);
      expectProblem(await anon.post('/api/auth/sign-in', { email: g.email, password: g.temp }), 401, 'invalid_credentials');
      expect((await anon.post('/api/auth/sign-in', { email: g.email, password: GUEST_PASSWORD })).statusCode).toBe(200);
      const row = await userRow(g.email);
      expect(row).toMatchObject({ mustChangePassword: false, tempPasswordExpiresAt: null });

      // A second complete-setup is refused (the account is set up).
      expectProblem(await api.post('/api/me/complete-setup', { newPassword: 'another fine passphrase 77', name: 'G', familyName: 'G' }), 409, 'conflict');

      const [changed] = await eventsOf(t, 'auth.password_changed', { actorUserId: row!.id });
      expect(changed).toBeDefined();
      const text = JSON.stringify(changed);
      expect(text).not.toContain(GUEST_PASSWORD);
      expect(text).not.toContain(g.temp);
    });

    it('the guest becomes an active member of type guest, listed under type=guest for admins', async () => {
      const g = await pendingGuest();
      await g.api.post('/api/me/complete-setup', { newPassword: GUEST_PASSWORD, name: 'Gia', familyName: 'Guest' });
      const guests = json(await g.owner.api.get(`/api/workspaces/${g.ws.id}/members?type=guest`)).items;
      expect(guests).toEqual([expect.objectContaining({ email: g.email, type: 'guest', role: 'guest', status: 'active', name: 'Gia' })]);
      const members = json(await g.owner.api.get(`/api/workspaces/${g.ws.id}/members?type=member`)).items;
      expect(members.map((m: { email: string }) => m.email)).not.toContain(g.email);
      expect(json(await g.owner.api.get(`/api/workspaces/${g.ws.id}/invitations/${g.inv.id}`)).status).toBe('accepted');
      expect(await eventsOf(t, 'member.joined', { workspaceId: g.ws.id, targetUserId: (await userRow(g.email))!.id })).toHaveLength(1);
    });

    it('API tokens cannot be minted with a temporary password (no way around the forced change)', async () => {
      const g = await pendingGuest();
      expectProblem(await g.api.post('/api/me/tokens', { name: 'escape hatch' }), 403, 'password_change_required');
      expect(json(await g.owner.api.get('/api/me/tokens')).items).toBeDefined(); // positive control: the route exists and works
    });
  });
});

function setCookieHeader(res: Res): unknown {
  return res.headers['set-cookie'];
}



describe('inviteGuests (the service entry point for other modules, e.g. the importer)', () => {
  it('invites guests with the guest rules, as the calling member', async () => {
    const t = await createTestApp();
    try {
      const owner = await createUser(t);
      const ws = await createWorkspace(owner);
      const as = (userId: string) => ({ ...t.deps, userId, meta: { ip: null, userAgent: 'importer' } });
      const email = uniqueEmail('imported');
      const result = await inviteGuests(as(owner.id), ws.id, { emails: [email, 'not-an-email'] });
      expect(result.created.map((c) => [c.email, c.role, c.type])).toEqual([[email, 'guest', 'guest']]);
      expect(result.skipped).toEqual([{ email: 'not-an-email', reason: 'invalid' }]);
      // The same rules as the API: a login-only member may not invite guests.
      const loginOnly = await addMember(t, owner, ws.id, 'login_only');
      await expect(inviteGuests(as(loginOnly.id), ws.id, { emails: [uniqueEmail()] })).rejects.toMatchObject({ code: 'forbidden' });
    } finally {
      await t.close();
    }
  });
});
