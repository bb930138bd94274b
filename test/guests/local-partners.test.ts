import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE } from '../../src/app/context.js';
import { invitations, localPartners, members } from '../../src/db/schema/index.js';
import { caller, createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, latestInvitationToken, type TestUser } from '../factories.js';
import { completeGuestSetup, eventsOf, freshIp, GUEST_PASSWORD, ipCaller, latestTempPassword, passwordStep, type Guest } from './support.js';

/** Issue 5: local partners (Cerby) — Guest Admins and Guest Users (T-GUEST-05/06/07 as far as they apply, §0.4). */

const at = (domain: string, prefix = 'p') => `${prefix}-${randomUUID().slice(0, 8)}@${domain}`;

describe('local partners', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000' } });
  });
  afterAll(() => t.close());

  /** Creates a partner through the API and brings its first Guest Admin in by the temporary-password flow. */
  async function createPartner(admin: TestUser, wsId: string, name: string, domain: string) {
    const email = at(domain, 'ga');
    const res = await admin.api.post(`/api/workspaces/${wsId}/local-partners`, { name, guestAdminEmail: email });
    expect(res.statusCode, res.body).toBe(201);
    const body = json(res);
    const guestAdmin = await completeGuestSetup(t, email, await latestTempPassword(t, email));
    expect(guestAdmin.joinedWorkspaceIds).toEqual([wsId]);
    return { partner: body.partner as { id: string; name: string }, invitation: body.invitation, guestAdmin, domain };
  }

  /** A Guest Admin (or admin) invites a new guest into a partner; the guest joins. */
  async function partnerGuest(inviter: { api: TestUser['api'] }, wsId: string, partnerId: string, domain: string, partnerRole: 'guest_user' | 'guest_admin' = 'guest_user') {
    const email = at(domain, partnerRole === 'guest_user' ? 'gu' : 'ga');
    const res = await inviter.api.post(`/api/workspaces/${wsId}/local-partners/${partnerId}/invitations`, { emails: [email], partnerRole });
    expect(res.statusCode, res.body).toBe(201);
    const guest = await completeGuestSetup(t, email, await latestTempPassword(t, email));
    return { ...guest, invitationId: json(res).created[0].id as string };
  }

  const memberIdOf = async (wsId: string, userId: string) =>
    (await t.deps.db.select().from(members).where(and(eq(members.workspaceId, wsId), eq(members.userId, userId))))[0]!.id;

  /** Workspace A: owner, admin, user; partner P1 (Guest Admin + Guest User), partner P2 (Guest Admin + Guest User). */
  async function fixture() {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Host A');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const user = await addMember(t, owner, ws.id, 'user');
    const p1 = await createPartner(admin, ws.id, `Agency ${randomUUID().slice(0, 4)}`, 'agency-one.test');
    const p2 = await createPartner(owner, ws.id, `Studio ${randomUUID().slice(0, 4)}`, 'studio-two.test');
    const gu1 = await partnerGuest(p1.guestAdmin, ws.id, p1.partner.id, p1.domain);
    const gu2 = await partnerGuest(p2.guestAdmin, ws.id, p2.partner.id, p2.domain);
    const ga1 = { ...p1.guestAdmin, memberId: await memberIdOf(ws.id, p1.guestAdmin.id) };
    const ga2 = { ...p2.guestAdmin, memberId: await memberIdOf(ws.id, p2.guestAdmin.id) };
    return {
      owner,
      ws,
      admin,
      user,
      p1: p1.partner,
      p2: p2.partner,
      ga1,
      ga2,
      gu1: { ...gu1, memberId: await memberIdOf(ws.id, gu1.id) },
      gu2: { ...gu2, memberId: await memberIdOf(ws.id, gu2.id) },
    };
  }
  type Fixture = Awaited<ReturnType<typeof fixture>>;
  const base = (f: Fixture) => `/api/workspaces/${f.ws.id}/local-partners`;

  describe('creating partners', () => {
    let f: Fixture;
    beforeAll(async () => {
      f = await fixture();
    });

    it('admins create a partner and invite its first Guest Admin; the Guest Admin joins with the temporary password flow', async () => {
      const detail = json(await f.admin.api.get(`${base(f)}/${f.p1.id}`));
      expect(detail).toMatchObject({ id: f.p1.id, name: f.p1.name, guestAdmins: 1, guestUsers: 1 });
      expect(detail.guests.map((g: { email: string; partnerRole: string }) => [g.email, g.partnerRole]).sort()).toEqual(
        [
          [f.ga1.email, 'guest_admin'],
          [f.gu1.email, 'guest_user'],
        ].sort(),
      );
      const me = json(await f.ga1.api.get('/api/me'));
      expect(me.workspaces).toEqual([expect.objectContaining({ id: f.ws.id, role: 'guest', type: 'guest', partner: { id: f.p1.id, role: 'guest_admin' } })]);
      const guests = json(await f.owner.api.get(`/api/workspaces/${f.ws.id}/members?type=guest`)).items;
      expect(guests.find((m: { userId: string }) => m.userId === f.ga1.id).partner).toEqual({ id: f.p1.id, name: f.p1.name, role: 'guest_admin' });
      expect(await eventsOf(t, 'partner.created', { subjectId: f.p1.id })).toHaveLength(1);
    });

    it('only admins create partners: a user, a Guest Admin and a Guest User → 403 forbidden; nothing is created', async () => {
      for (const who of [f.user, f.ga1, f.gu1]) {
        expectProblem(await who.api.post(base(f), { name: `Sneaky ${randomUUID().slice(0, 4)}`, guestAdminEmail: at('sneaky.test') }), 403, 'forbidden');
      }
      const names = json(await f.owner.api.get(base(f))).items.map((p: { name: string }) => p.name);
      expect(names.some((n: string) => n.startsWith('Sneaky'))).toBe(false);
    });

    it('host admin and Guest Admin on the same email domain → 422 same_domain_guest_admin; nothing is created', async () => {
      const domain = f.admin.email.split('@')[1]!;
      const email = at(domain);
      expectProblem(await f.admin.api.post(base(f), { name: 'Same Domain Ltd', guestAdminEmail: email }), 422, 'same_domain_guest_admin');
      expect(json(await f.owner.api.get(base(f))).items.map((p: { name: string }) => p.name)).not.toContain('Same Domain Ltd');
      expect(json(await f.owner.api.get(`/api/workspaces/${f.ws.id}/invitations?q=${encodeURIComponent(email)}`)).items).toEqual([]);
      // Upper-case domain is the same domain.
      expectProblem(await f.admin.api.post(base(f), { name: 'Same Domain Ltd', guestAdminEmail: at(domain.toUpperCase()) }), 422, 'same_domain_guest_admin');
    });

    it('a duplicate name (case-insensitive) → 409 partner_name_taken and no invitation is sent', async () => {
      const email = at('dup.test');
      expectProblem(await f.admin.api.post(base(f), { name: f.p1.name.toUpperCase(), guestAdminEmail: email }), 409, 'partner_name_taken');
      expect(json(await f.owner.api.get(`/api/workspaces/${f.ws.id}/invitations?q=${encodeURIComponent(email)}`)).items).toEqual([]);
      // Positive control: a new name works.
      expect((await f.admin.api.post(base(f), { name: `Fresh ${randomUUID().slice(0, 6)}`, guestAdminEmail: email })).statusCode).toBe(201);
    });
  });

  describe('who sees which partner', () => {
    let f: Fixture;
    beforeAll(async () => {
      f = await fixture();
    });

    it('admins list every partner; a partner’s guests only their own; a user none (403)', async () => {
      const items = json(await f.admin.api.get(base(f))).items;
      expect(items.map((p: { id: string }) => p.id).sort()).toEqual([f.p1.id, f.p2.id].sort());
      // Counts of active guests per partner (regression: they were always 0).
      for (const p of items) expect(p).toMatchObject({ guestAdmins: 1, guestUsers: 1 });
      expect(json(await f.ga1.api.get(base(f))).items.map((p: { id: string }) => p.id)).toEqual([f.p1.id]);
      expect(json(await f.ga2.api.get(base(f))).items.map((p: { id: string }) => p.id)).toEqual([f.p2.id]);
      expect(json(await f.gu1.api.get(base(f))).items.map((p: { id: string }) => p.id)).toEqual([f.p1.id]);
      expectProblem(await f.user.api.get(base(f)), 403, 'forbidden');
    });

    it('a Guest Admin reads their partner’s details but not another partner’s (403); a Guest User sees only its Guest Admins and themselves', async () => {
      const own = await f.ga1.api.get(`${base(f)}/${f.p1.id}`);
      expect(own.statusCode).toBe(200);
      expect(json(own).guests.find((g: { userId: string }) => g.userId === f.gu1.id).abilities).toEqual({ remove: true, changeRole: false });
      expect(json(own).guests.find((g: { userId: string }) => g.userId === f.ga1.id).abilities).toEqual({ remove: false, changeRole: false });
      expect(own.body).not.toContain(f.gu2.email);
      expectProblem(await f.ga1.api.get(`${base(f)}/${f.p2.id}`), 403, 'forbidden');
      const asGuestUser = json(await f.gu1.api.get(`${base(f)}/${f.p1.id}`));
      expect(asGuestUser.guests.map((g: { userId: string }) => g.userId).sort()).toEqual([f.ga1.id, f.gu1.id].sort());
      expect(asGuestUser.invitations).toEqual([]);
      expectProblem(await f.gu1.api.get(`${base(f)}/${f.p2.id}`), 403, 'forbidden');
      expectProblem(await f.user.api.get(`${base(f)}/${f.p1.id}`), 403, 'forbidden');
      // Unknown partner id → 404, for anyone.
      expectProblem(await f.admin.api.get(`${base(f)}/${randomUUID()}`), 404, 'not_found');
      expectProblem(await f.ga1.api.get(`${base(f)}/${randomUUID()}`), 404, 'not_found');
    });

    it('outsiders get 404 for the whole workspace', async () => {
      const outsider = await createUser(t);
      expectProblem(await outsider.api.get(base(f)), 404, 'not_found');
      expectProblem(await outsider.api.get(`${base(f)}/${f.p1.id}`), 404, 'not_found');
      expectProblem(await outsider.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('x.test')] }), 404, 'not_found');
    });
  });

  describe('T-GUEST-06: what a Guest Admin may grant', () => {
    let f: Fixture;
    beforeAll(async () => {
      f = await fixture();
    });

    it('invites Guest Users of their own partner (201), not Guest Admins (403 role_ceiling)', async () => {
      const email = at('agency-one.test', 'gu');
      const res = await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [email], partnerRole: 'guest_user' });
      expect(res.statusCode, res.body).toBe(201);
      expect(json(res).created[0]).toMatchObject({ role: 'guest', type: 'guest' });
      // `partnerRole` defaults to guest_user.
      expect((await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('agency-one.test')] })).statusCode).toBe(201);
      const adminEmail = at('agency-one.test', 'ga');
      expectProblem(await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [adminEmail], partnerRole: 'guest_admin' }), 403, 'role_ceiling');
      const detail = json(await f.admin.api.get(`${base(f)}/${f.p1.id}`));
      expect(detail.invitations.map((i: { email: string }) => i.email)).toContain(email);
      expect(detail.invitations.map((i: { email: string }) => i.email)).not.toContain(adminEmail);
    });

    it('cannot invite into another partner (403 forbidden), nor members or admins through the workspace route (403 forbidden), nor promote self', async () => {
      const email = at('studio-two.test');
      expectProblem(await f.ga1.api.post(`${base(f)}/${f.p2.id}/invitations`, { emails: [email], partnerRole: 'guest_user' }), 403, 'forbidden');
      expectProblem(await f.ga1.api.post(`${base(f)}/${randomUUID()}/invitations`, { emails: [email] }), 404, 'not_found');
      for (const role of ['user', 'admin', 'guest']) {
        expectProblem(await f.ga1.api.post(`/api/workspaces/${f.ws.id}/invitations`, { emails: [at('agency-one.test')], role }), 403, 'forbidden');
      }
      expectProblem(await f.ga1.api.patch(`${base(f)}/${f.p1.id}/members/${f.ga1.memberId}`, { partnerRole: 'guest_admin' }), 403, 'forbidden');
      expectProblem(await f.ga1.api.patch(`${base(f)}/${f.p1.id}/members/${f.gu1.memberId}`, { partnerRole: 'guest_admin' }), 403, 'forbidden');
      expectProblem(await f.ga1.api.patch(`/api/workspaces/${f.ws.id}/members/${f.ga1.memberId}`, { role: 'admin' }), 403, 'role_ceiling');
      const rows = await t.deps.db.select().from(invitations).where(eq(invitations.email, email));
      expect(rows).toEqual([]);
      const me = (await t.deps.db.select().from(members).where(eq(members.id, f.ga1.memberId)))[0]!;
      expect(me).toMatchObject({ role: 'guest', partnerRole: 'guest_admin', localPartnerId: f.p1.id });
    });

    it('resends invitations of their partner’s Guest Users only', async () => {
      const email = at('agency-one.test');
      const mine = json(await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [email] })).created[0];
      const theirs = json(await f.ga2.api.post(`${base(f)}/${f.p2.id}/invitations`, { emails: [at('studio-two.test')] })).created[0];
      const adminInvite = json(await f.admin.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('agency-one.test', 'ga')], partnerRole: 'guest_admin' })).created[0];
      t.clock.advance(2 * MINUTE);
      expect((await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations/${mine.id}/resend`)).statusCode).toBe(200);
      expectProblem(await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations/${adminInvite.id}/resend`), 403, 'role_ceiling');
      expectProblem(await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations/${theirs.id}/resend`), 404, 'not_found');
      expectProblem(await f.ga1.api.post(`${base(f)}/${f.p2.id}/invitations/${theirs.id}/resend`), 403, 'forbidden');
      expectProblem(await f.gu1.api.post(`${base(f)}/${f.p1.id}/invitations/${mine.id}/resend`), 403, 'forbidden');
      // Nor through the workspace invitation routes (Guest Admins do not see the invitation list).
      expectProblem(await f.ga1.api.post(`/api/workspaces/${f.ws.id}/invitations/${mine.id}/resend`), 403, 'forbidden');
      expectProblem(await f.ga1.api.delete(`/api/workspaces/${f.ws.id}/invitations/${mine.id}`), 403, 'forbidden');
    });

    it('a Guest User can do none of it (403 forbidden)', async () => {
      expectProblem(await f.gu1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('agency-one.test')] }), 403, 'forbidden');
      expectProblem(await f.gu1.api.delete(`${base(f)}/${f.p1.id}/members/${f.ga1.memberId}`), 403, 'forbidden');
      expectProblem(await f.gu1.api.patch(`${base(f)}/${f.p1.id}/members/${f.gu1.memberId}`, { partnerRole: 'guest_admin' }), 403, 'forbidden');
      expectProblem(await f.gu1.api.delete(base(f) + `/${f.p1.id}`), 403, 'forbidden');
      expectProblem(await f.gu1.api.post(base(f), { name: 'Mine now', guestAdminEmail: at('else.test') }), 403, 'forbidden');
    });

    it('a host user (role `user`) cannot manage partners either (403 forbidden)', async () => {
      expectProblem(await f.user.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('agency-one.test')] }), 403, 'forbidden');
      expectProblem(await f.user.api.delete(`${base(f)}/${f.p1.id}/members/${f.gu1.memberId}`), 403, 'forbidden');
      expectProblem(await f.user.api.delete(`${base(f)}/${f.p1.id}`), 403, 'forbidden');
    });
  });

  describe('removing guests', () => {
    let f: Fixture;
    beforeAll(async () => {
      f = await fixture();
    });

    it('a Guest Admin cannot remove themselves, another Guest Admin, host members (403) or a guest of another partner (404 here, 403 there)', async () => {
      const second = await partnerGuest(f.admin, f.ws.id, f.p1.id, 'agency-one.test', 'guest_admin');
      const secondMemberId = await memberIdOf(f.ws.id, second.id);
      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p1.id}/members/${f.ga1.memberId}`), 403, 'forbidden');
      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p1.id}/members/${secondMemberId}`), 403, 'forbidden');
      // Host members: not part of the partner (404 on the partner route), and the members route refuses (403).
      const userMemberId = await memberIdOf(f.ws.id, f.user.id);
      const adminMemberId = await memberIdOf(f.ws.id, f.admin.id);
      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p1.id}/members/${userMemberId}`), 404, 'not_found');
      expectProblem(await f.ga1.api.delete(`/api/workspaces/${f.ws.id}/members/${userMemberId}`), 403, 'forbidden');
      expectProblem(await f.ga1.api.delete(`/api/workspaces/${f.ws.id}/members/${adminMemberId}`), 403, 'forbidden');
      expectProblem(await f.ga1.api.patch(`/api/workspaces/${f.ws.id}/members/${userMemberId}`, { role: 'guest' }), 403, 'forbidden');
      // Another partner's guest.
      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p1.id}/members/${f.gu2.memberId}`), 404, 'not_found');
      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p2.id}/members/${f.gu2.memberId}`), 403, 'forbidden');
      // Unknown member id → 404.
      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p1.id}/members/${randomUUID()}`), 404, 'not_found');
      // Everyone is still active.
      const active = await t.deps.db.select().from(members).where(and(eq(members.workspaceId, f.ws.id), eq(members.status, 'active')));
      const ids = new Set(active.map((m) => m.id));
      for (const id of [f.ga1.memberId, secondMemberId, userMemberId, f.gu2.memberId]) expect(ids.has(id)).toBe(true);
    });

    it('a Guest Admin removes a Guest User of their partner (204): the guest loses the workspace at once', async () => {
      expect((await f.gu1.api.get(`/api/workspaces/${f.ws.id}`)).statusCode).toBe(200);
      const res = await f.ga1.api.delete(`${base(f)}/${f.p1.id}/members/${f.gu1.memberId}`);
      expect(res.statusCode, res.body).toBe(204);
      expectProblem(await f.gu1.api.get(`/api/workspaces/${f.ws.id}`), 404, 'not_found');
      expectProblem(await f.gu1.api.get(`/api/workspaces/${f.ws.id}/locations`), 404, 'not_found');
      expect(json(await f.gu1.api.get('/api/me')).workspaces).toEqual([]);
      expect(await eventsOf(t, 'guest.removed', { subjectId: f.gu1.memberId })).toHaveLength(1);
      const detail = json(await f.ga1.api.get(`${base(f)}/${f.p1.id}`));
      expect(detail).toMatchObject({ guestAdmins: 2, guestUsers: 0 });
      expect(detail.guests.map((g: { userId: string }) => g.userId)).not.toContain(f.gu1.id);
      // Removing again → 404.
      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p1.id}/members/${f.gu1.memberId}`), 404, 'not_found');
      // Positive control: the other partner's guest is untouched.
      expect((await f.gu2.api.get(`/api/workspaces/${f.ws.id}`)).statusCode).toBe(200);
    });

    it('admins remove any partner guest, including a Guest Admin', async () => {
      expect((await f.admin.api.delete(`${base(f)}/${f.p2.id}/members/${f.ga2.memberId}`)).statusCode).toBe(204);
      expectProblem(await f.ga2.api.get(base(f)), 404, 'not_found');
    });
  });

  describe('partner roles', () => {
    it('admins switch a guest between Guest User and Guest Admin; the new role applies at the next request', async () => {
      const f = await fixture();
      expectProblem(await f.gu1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('agency-one.test')] }), 403, 'forbidden');
      const res = await f.admin.api.patch(`${base(f)}/${f.p1.id}/members/${f.gu1.memberId}`, { partnerRole: 'guest_admin' });
      expect(res.statusCode, res.body).toBe(204);
      expect((await f.gu1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('agency-one.test')] })).statusCode).toBe(201);
      expect(await eventsOf(t, 'partner.member_role_changed', { subjectId: f.gu1.memberId })).toHaveLength(1);
      // Back to Guest User: refused again.
      expect((await f.owner.api.patch(`${base(f)}/${f.p1.id}/members/${f.gu1.memberId}`, { partnerRole: 'guest_user' })).statusCode).toBe(204);
      expectProblem(await f.gu1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [at('agency-one.test')] }), 403, 'forbidden');
      // A member id that is not in this partner → 404.
      expectProblem(await f.admin.api.patch(`${base(f)}/${f.p1.id}/members/${f.gu2.memberId}`, { partnerRole: 'guest_admin' }), 404, 'not_found');
      expectProblem(await f.admin.api.patch(`${base(f)}/${f.p1.id}/members/${await memberIdOf(f.ws.id, f.user.id)}`, { partnerRole: 'guest_admin' }), 404, 'not_found');
    });
  });

  describe('removing a partner (T-GUEST-07 as far as it applies)', () => {
    it('deactivates all its guests at once (their next request → 404), revokes its pending invitations (link → 410, temporary password dead)', async () => {
      const f = await fixture();
      const pendingEmail = at('agency-one.test', 'late');
      await f.ga1.api.post(`${base(f)}/${f.p1.id}/invitations`, { emails: [pendingEmail] });
      const pendingToken = await latestInvitationToken(t, pendingEmail);
      const pendingTemp = await latestTempPassword(t, pendingEmail);
      // A second live session of the Guest User.
      const ip = freshIp();
      const other = await passwordStep(t, f.gu1.email, GUEST_PASSWORD, ip);
      const otherApi = other.api;
      expect((await otherApi.get(`/api/workspaces/${f.ws.id}`)).statusCode).toBe(200);

      expectProblem(await f.ga1.api.delete(`${base(f)}/${f.p1.id}`), 403, 'forbidden');
      const res = await f.admin.api.delete(`${base(f)}/${f.p1.id}`);
      expect(res.statusCode, res.body).toBe(204);

      for (const g of [f.ga1, f.gu1] as Guest[]) {
        expectProblem(await g.api.get(`/api/workspaces/${f.ws.id}`), 404, 'not_found');
        expectProblem(await g.api.get(`/api/workspaces/${f.ws.id}/locations`), 404, 'not_found');
        expect(json(await g.api.get('/api/me')).workspaces).toEqual([]);
      }
      expectProblem(await otherApi.get(`/api/workspaces/${f.ws.id}/locations`), 404, 'not_found');
      expectProblem(await caller(t.app).get(`/api/invitations/${pendingToken}`), 410, 'invitation_revoked');
      expectProblem(await ipCaller(t.app, undefined, ip).post('/api/auth/sign-in', { email: pendingEmail, password: pendingTemp }), 401, 'invalid_credentials');

      const rows = await t.deps.db.select().from(members).where(eq(members.localPartnerId, f.p1.id));
      expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'removed'));
      expect(rows).toHaveLength(2);
      expect((await t.deps.db.select().from(localPartners).where(eq(localPartners.id, f.p1.id)))[0]!.status).toBe('removed');
      expect(await eventsOf(t, 'partner.removed', { subjectId: f.p1.id })).toHaveLength(1);
      expect(await eventsOf(t, 'guest.removed', { workspaceId: f.ws.id })).toHaveLength(2);

      // The partner is gone from lists; removing it again → 404; its name can be reused.
      expect(json(await f.admin.api.get(base(f))).items.map((p: { id: string }) => p.id)).toEqual([f.p2.id]);
      expectProblem(await f.admin.api.delete(`${base(f)}/${f.p1.id}`), 404, 'not_found');
      expectProblem(await f.admin.api.get(`${base(f)}/${f.p1.id}`), 404, 'not_found');
      expect((await f.admin.api.post(base(f), { name: f.p1.name, guestAdminEmail: at('agency-one.test') })).statusCode).toBe(201);
      // Positive control: the other partner's guests keep working.
      expect((await f.gu2.api.get(`/api/workspaces/${f.ws.id}/locations`)).statusCode).toBe(200);
      expect((await f.ga2.api.get(`${base(f)}/${f.p2.id}`)).statusCode).toBe(200);
    });

    it('a user cannot remove a partner (403) and an unknown id → 404', async () => {
      const f = await fixture();
      expectProblem(await f.user.api.delete(`${base(f)}/${f.p1.id}`), 403, 'forbidden');
      expectProblem(await f.admin.api.delete(`${base(f)}/${randomUUID()}`), 404, 'not_found');
      expect(json(await f.admin.api.get(base(f))).items).toHaveLength(2);
    });
  });
});
