import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { members } from '../../src/db/schema/index.js';
import { createTestApp, json, type Res, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, type TestUser } from '../factories.js';
import { apiRoutes, bodyFor, BODY_OVERRIDES, callRoute, completeGuestSetup, enrolTotp, latestTempPassword, type ApiRoute, type Guest } from './support.js';

/**
 * Issue 5 "Done when": nothing a guest may not see can be reached by any endpoint. Every route under
 * /api/workspaces/{workspaceId} (generated from the OpenAPI document, so new routes are covered) is
 * called as fully set-up guests (terms accepted, MFA enrolled as the workspace requires).
 * T-GUEST-05, T-ROLE-09 (guest rows), T-ROLE-10.
 */

/** What any guest may call in the workspace, and the answer. Everything else: 403, or 404 for a child id. */
const GUEST_ALLOWED: Record<string, number> = {
  'GET /api/workspaces/{workspaceId}': 200,
  'GET /api/workspaces/{workspaceId}/terms': 200,
  'POST /api/workspaces/{workspaceId}/terms/accept': 200,
  'GET /api/workspaces/{workspaceId}/locations': 200,
};
/** In addition, for a partner's guests: the partner list (their own partner only). */
const GUEST_ADMIN_ALLOWED: Record<string, number> = { ...GUEST_ALLOWED, 'GET /api/workspaces/{workspaceId}/local-partners': 200 };
/** A Guest User may also open their own partner (to see its Guest Admins and themselves). */
const GUEST_USER_OWN_PARTNER: Record<string, number> = { ...GUEST_ADMIN_ALLOWED, 'GET /api/workspaces/{workspaceId}/local-partners/{partnerId}': 200 };

const at = (domain: string, prefix = 'p') => `${prefix}-${randomUUID().slice(0, 8)}@${domain}`;

describe('what guests can reach (T-GUEST-05)', () => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let user: TestUser & { memberId: string };
  let ws: { id: string };
  let locationId: string;
  let invitationId: string;
  let p1: string;
  let p2: string;
  let plainGuest: Guest;
  let guestUser: Guest;
  let guestAdmin: Guest;

  /** Terms accepted, MFA on: the guest is fully let in. */
  async function ready(g: Guest) {
    expect((await g.api.post(`/api/workspaces/${ws.id}/terms/accept`, { version: 1 })).statusCode).toBe(200);
    await enrolTotp(t, g.api);
    expect((await g.api.get(`/api/workspaces/${ws.id}/locations`)).statusCode).toBe(200);
    return g;
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000' } });
    owner = await createUser(t);
    ws = await createWorkspace(owner, 'Visible Co');
    admin = await addMember(t, owner, ws.id, 'admin');
    user = await addMember(t, owner, ws.id, 'user');
    await owner.api.patch(`/api/workspaces/${ws.id}`, { mfaRequirement: 'guests', companyDomains: ['visible.test'] });
    await owner.api.put(`/api/workspaces/${ws.id}/terms`, { text: 'Guests read only what is shared.' });
    locationId = json(await owner.api.post(`/api/workspaces/${ws.id}/locations`, { name: 'HQ' })).id;
    invitationId = json(await admin.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [at('pending.test')], role: 'user' })).created[0].id;

    const gaEmail = at('agency.test', 'ga');
    p1 = json(await owner.api.post(`/api/workspaces/${ws.id}/local-partners`, { name: 'Agency', guestAdminEmail: gaEmail })).partner.id;
    p2 = json(await owner.api.post(`/api/workspaces/${ws.id}/local-partners`, { name: 'Studio', guestAdminEmail: at('studio.test', 'ga') })).partner.id;
    guestAdmin = await ready(await completeGuestSetup(t, gaEmail, await latestTempPassword(t, gaEmail)));

    const guEmail = at('agency.test', 'gu');
    expect((await guestAdmin.api.post(`/api/workspaces/${ws.id}/local-partners/${p1}/invitations`, { emails: [guEmail] })).statusCode).toBe(201);
    guestUser = await ready(await completeGuestSetup(t, guEmail, await latestTempPassword(t, guEmail)));

    const plainEmail = at('freelance.test', 'g');
    expect((await user.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [plainEmail], role: 'guest' })).statusCode).toBe(201);
    plainGuest = await ready(await completeGuestSetup(t, plainEmail, await latestTempPassword(t, plainEmail)));
  });
  afterAll(() => t.close());

  const workspaceRoutes = () => apiRoutes(t).filter((r) => r.path.startsWith('/api/workspaces/{workspaceId}'));

  /** Calls every workspace route as `who`, with real ids of the workspace's objects. */
  async function sweep(who: Guest, allowed: Record<string, number>, partnerId: string) {
    const params = { workspaceId: ws.id, memberId: user.memberId, invitationId, locationId, partnerId };
    const results: { route: ApiRoute; res: Res }[] = [];
    for (const route of workspaceRoutes()) {
      const url = route.path.replace(/\{(\w+)\}/g, (_, n: string) => params[n as keyof typeof params] ?? randomUUID());
      // Ids in bodies are real ones too, so a refusal is about permission, not a missing object.
      const res = await callRoute(who.api, route, url, bodyFor(route, { ...BODY_OVERRIDES, 'POST /api/workspaces/{workspaceId}/transfer-ownership': { memberId: user.memberId } }));
      results.push({ route, res });
      const expected = allowed[route.key];
      if (expected !== undefined) {
        expect(res.statusCode, `${route.key}: ${res.body}`).toBe(expected);
        continue;
      }
      const child = /\{(?!workspaceId)\w+\}/.test(route.path);
      const allowedStatuses = child ? [403, 404] : [403];
      expect(allowedStatuses, `${route.key} answered ${res.statusCode}: ${res.body}`).toContain(res.statusCode);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.statusCode === 404 ? ['not_found'] : ['forbidden', 'role_ceiling'], `${route.key}: ${res.body}`).toContain(json(res).code);
    }
    return results;
  }

  /** Nothing the guest may not see: no other person's address, no secret material, no settings. */
  function expectNothingLeaked(results: { route: ApiRoute; res: Res }[]) {
    for (const { route, res } of results) {
      for (const secretish of [owner.email, admin.email, user.email, '$argon2', 'secretEncrypted', 'tokenHash', 'codeHash', 'passwordHash']) {
        expect(res.body, `${route.key} leaks ${secretish}`).not.toContain(secretish);
      }
    }
  }

  it('the sweep covers every workspace route, including the partner routes', () => {
    const keys = workspaceRoutes().map((r) => r.key);
    expect(keys.length).toBeGreaterThanOrEqual(25);
    expect(keys).toEqual(expect.arrayContaining(['GET /api/workspaces/{workspaceId}/members', 'GET /api/workspaces/{workspaceId}/activity', 'PUT /api/workspaces/{workspaceId}/terms', 'DELETE /api/workspaces/{workspaceId}/local-partners/{partnerId}']));
    for (const key of Object.keys(GUEST_ADMIN_ALLOWED)) expect(keys).toContain(key);
  });

  it('a guest (no partner) reaches only the workspace card, its terms and its locations', async () => {
    expectNothingLeaked(await sweep(plainGuest, GUEST_ALLOWED, p1));
  });

  it('a Guest User of P1 reaches the same, plus their own partner: its Guest Admins and themselves, nothing else', async () => {
    const results = await sweep(guestUser, GUEST_USER_OWN_PARTNER, p1);
    expectNothingLeaked(results);
    const detail = json(results.find((r) => r.route.key === 'GET /api/workspaces/{workspaceId}/local-partners/{partnerId}')!.res);
    expect(detail.guests.map((g: { userId: string }) => g.userId).sort()).toEqual([guestAdmin.id, guestUser.id].sort());
    expect(detail.invitations).toEqual([]);
    // …and never another partner.
    expectProblem(await guestUser.api.get(`/api/workspaces/${ws.id}/local-partners/${p2}`), 403, 'forbidden');
  });

  it('a Guest Admin of P1, sweeping with P2 ids: only their own partner list, nothing of P2', async () => {
    const results = await sweep(guestAdmin, GUEST_ADMIN_ALLOWED, p2);
    expectNothingLeaked(results);
    const list = results.find((r) => r.route.key === 'GET /api/workspaces/{workspaceId}/local-partners')!;
    expect(json(list.res).items.map((p: { id: string }) => p.id)).toEqual([p1]);
  });

  it('the sweep left the workspace unchanged: members, invitation, location, partners, settings, terms', async () => {
    const active = await t.deps.db.select().from(members).where(and(eq(members.workspaceId, ws.id), eq(members.status, 'active')));
    expect(active).toHaveLength(6); // owner, admin, user, Guest Admin, Guest User, guest
    const inv = json(await owner.api.get(`/api/workspaces/${ws.id}/invitations/${invitationId}`));
    expect(inv.status).toBe('pending');
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/locations`)).items.map((l: { id: string; name: string }) => [l.id, l.name])).toEqual([[locationId, 'HQ']]);
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/local-partners`)).items.map((p: { id: string }) => p.id).sort()).toEqual([p1, p2].sort());
    const view = json(await owner.api.get(`/api/workspaces/${ws.id}`));
    expect(view.name).toBe('Visible Co');
    expect(view.settings).toMatchObject({ mfaRequirement: 'guests', companyDomains: ['visible.test'], termsVersion: 1 });
  });

  it('the workspace card of a guest has no settings and no Workspace ID; abilities are all off', async () => {
    for (const g of [plainGuest, guestUser, guestAdmin]) {
      const view = json(await g.api.get(`/api/workspaces/${ws.id}`));
      expect(view).toMatchObject({ id: ws.id, role: 'guest', settings: null, publicId: null, pendingRequirements: [] });
      expect(view.abilities).toMatchObject({ manageSettings: false, inviteMembers: false, viewActivity: false, manageLocations: false, transferOwnership: false, viewMembers: false, invitableRoles: [] });
      const listed = json(await g.api.get('/api/workspaces'));
      const mine = (listed.items ?? listed).find((w: { id: string }) => w.id === ws.id);
      expect(mine).toMatchObject({ settings: null, publicId: null });
    }
    expect(json(await guestAdmin.api.get(`/api/workspaces/${ws.id}`)).partner).toEqual({ id: p1, role: 'guest_admin' });
    expect(json(await guestUser.api.get(`/api/workspaces/${ws.id}`)).partner).toEqual({ id: p1, role: 'guest_user' });
    expect(json(await plainGuest.api.get(`/api/workspaces/${ws.id}`)).partner).toBeNull();
    // Positive control: an admin sees both.
    expect(json(await admin.api.get(`/api/workspaces/${ws.id}`)).publicId).toMatch(/^GH-/);
  });

  it('a guest reads their own member record but nobody else’s', async () => {
    const ownId = (await t.deps.db.select().from(members).where(and(eq(members.workspaceId, ws.id), eq(members.userId, guestUser.id))))[0]!.id;
    const own = await guestUser.api.get(`/api/workspaces/${ws.id}/members/${ownId}`);
    expect(own.statusCode).toBe(200);
    expect(json(own)).toMatchObject({ id: ownId, email: guestUser.email, type: 'guest', partner: { id: p1, role: 'guest_user' } });
    expectProblem(await guestUser.api.get(`/api/workspaces/${ws.id}/members/${user.memberId}`), 403, 'forbidden');
    const gaMember = (await t.deps.db.select().from(members).where(and(eq(members.workspaceId, ws.id), eq(members.userId, guestAdmin.id))))[0]!.id;
    expectProblem(await guestUser.api.get(`/api/workspaces/${ws.id}/members/${gaMember}`), 403, 'forbidden');
  });

  it('guests cannot invite guests either (403 forbidden), whatever role they ask for', async () => {
    for (const g of [plainGuest, guestUser, guestAdmin]) {
      for (const role of ['guest', 'user', 'admin', 'super_admin']) {
        expectProblem(await g.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [at('friend.test')], role }), 403, 'forbidden');
      }
    }
    // Positive control: the host user may invite guests.
    expect((await user.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [at('friend.test')], role: 'guest' })).statusCode).toBe(201);
  });

  it('another workspace is invisible to the guests (404)', async () => {
    const other = await createWorkspace(owner, 'Other Co');
    for (const g of [plainGuest, guestUser, guestAdmin]) {
      expectProblem(await g.api.get(`/api/workspaces/${other.id}`), 404, 'not_found');
      expectProblem(await g.api.get(`/api/workspaces/${other.id}/local-partners`), 404, 'not_found');
    }
  });
});
