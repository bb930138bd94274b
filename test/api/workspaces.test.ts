import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/app/context.js';
import { caller, createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, uniqueEmail } from '../factories.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const CROCKFORD_ID = /^GH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const wsUrl = (id: string) => `/api/workspaces/${id}`;

describe('create, list and get workspaces', () => {
  it('creates a workspace whose creator is its one owner, with a readable public id and default settings', async () => {
    const owner = await createUser(t);
    const res = await owner.api.post('/api/workspaces', { name: '  Acme Corp  ' });
    expect(res.statusCode, res.body).toBe(201);
    const ws = json(res);
    expect(ws).toMatchObject({ name: 'Acme Corp', role: 'owner', settings: { inviteExpiryDays: expect.any(Number), allowedEmailDomains: [], guestInvitesAdminOnly: false } });
    expect(ws.publicId).toMatch(CROCKFORD_ID);
    expect(ws.abilities).toMatchObject({ manageSettings: true, inviteMembers: true, viewActivity: true, manageLocations: true, transferOwnership: true });
    const members = json(await owner.api.get(`/api/workspaces/${ws.id}/members`)).items;
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ id: ws.memberId, userId: owner.id, role: 'owner', status: 'active', type: 'member' });
    const events = json(await owner.api.get(`/api/workspaces/${ws.id}/activity?type=workspace.created`)).items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorUserId: owner.id, subjectId: ws.id, data: { name: 'Acme Corp' } });
  });

  it('public ids differ between workspaces', async () => {
    const owner = await createUser(t);
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await createWorkspace(owner, `W${i}`)).publicId);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(CROCKFORD_ID);
  });

  it('validates the name and refuses unknown properties (T-ROLE-06: no client-chosen publicId)', async () => {
    const owner = await createUser(t);
    expectProblem(await owner.api.post('/api/workspaces', { name: '' }), 400, 'validation_failed');
    expectProblem(await owner.api.post('/api/workspaces', { name: '   ' }), 400, 'validation_failed');
    expectProblem(await owner.api.post('/api/workspaces', { name: 'x'.repeat(121) }), 400, 'validation_failed');
    expectProblem(await owner.api.post('/api/workspaces', {}), 400, 'validation_failed');
    expectProblem(await owner.api.post('/api/workspaces', { name: 'Mine', publicId: 'GH-AAAA-AAAA' }), 400, 'validation_failed');
    expectProblem(await owner.api.post('/api/workspaces', { name: 'Mine', ownerUserId: randomUUID() }), 400, 'validation_failed');
    expect(json(await owner.api.get('/api/workspaces')).items).toEqual([]);
    expectProblem(await caller(t.app).post('/api/workspaces', { name: 'Anon' }), 401, 'unauthenticated');
  });

  it('lists only the workspaces I am an active member of, with my role in each', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const a1 = await createWorkspace(alice, 'zeta');
    const a2 = await createWorkspace(alice, 'Alpha');
    const b1 = await createWorkspace(bob, 'Bob’s');
    const bobInA2 = await addMember(t, alice, a2.id, 'user', { email: uniqueEmail('bob2') });
    // Sorted by name, case-insensitively.
    expect(json(await alice.api.get('/api/workspaces')).items.map((w: { id: string; role: string }) => [w.id, w.role])).toEqual([
      [a2.id, 'owner'],
      [a1.id, 'owner'],
    ]);
    expect(json(await bob.api.get('/api/workspaces')).items.map((w: { id: string }) => w.id)).toEqual([b1.id]);
    const mine = json(await bobInA2.api.get('/api/workspaces')).items;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ id: a2.id, role: 'user', memberId: bobInA2.memberId, publicId: null, settings: null });
    // Once removed, it disappears from the list.
    expect((await alice.api.delete(`/api/workspaces/${a2.id}/members/${bobInA2.memberId}`)).statusCode).toBe(204);
    expect(json(await bobInA2.api.get('/api/workspaces')).items).toEqual([]);
  });

  it('GET one workspace: admins see publicId and settings, other roles get null; outsiders 404; anon 401', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Visibility');
    for (const role of ['super_admin', 'admin']) {
      const m = await addMember(t, owner, ws.id, role);
      const body = json(await m.api.get(wsUrl(ws.id)));
      expect(body).toMatchObject({ id: ws.id, role, publicId: ws.publicId, abilities: { manageSettings: true, viewActivity: true, transferOwnership: false } });
      expect(body.settings).not.toBeNull();
    }
    for (const role of ['user', 'login_only', 'guest']) {
      const m = await addMember(t, owner, ws.id, role);
      const res = await m.api.get(wsUrl(ws.id));
      expect(res.statusCode, res.body).toBe(200);
      expect(json(res)).toMatchObject({ id: ws.id, name: 'Visibility', role, memberId: m.memberId, publicId: null, settings: null });
      expect(json(res).abilities).toMatchObject({ manageSettings: false, inviteMembers: false, viewActivity: false, manageLocations: false, transferOwnership: false });
      expect(res.body).not.toContain(ws.publicId);
    }
    const outsider = await createUser(t);
    expectProblem(await outsider.api.get(wsUrl(ws.id)), 404, 'not_found');
    expectProblem(await outsider.api.get(wsUrl(randomUUID())), 404, 'not_found');
    expectProblem(await owner.api.get(wsUrl('not-a-uuid')), 400, 'validation_failed');
    expectProblem(await caller(t.app).get(wsUrl(ws.id)), 401, 'unauthenticated');
  });
});

describe('workspace settings', () => {
  it('an admin renames and changes settings (normalised), recorded as workspace.updated; a user gets 403 and nothing changes', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Settings');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const user = await addMember(t, owner, ws.id, 'user');

    expectProblem(await user.api.patch(wsUrl(ws.id), { name: 'Pwned' }), 403, 'forbidden');
    expectProblem(await user.api.patch(wsUrl(ws.id), { guestInvitesAdminOnly: true }), 403, 'forbidden');
    expect(json(await owner.api.get(wsUrl(ws.id)))).toMatchObject({ name: 'Settings', settings: { guestInvitesAdminOnly: false } });

    const res = await admin.api.patch(wsUrl(ws.id), { name: 'Renamed', inviteExpiryDays: 3, allowedEmailDomains: ['Example.TEST', ' corp.example '], guestInvitesAdminOnly: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toMatchObject({ name: 'Renamed', settings: { inviteExpiryDays: 3, allowedEmailDomains: ['example.test', 'corp.example'], guestInvitesAdminOnly: true } });
    expect(json(await owner.api.get(wsUrl(ws.id))).name).toBe('Renamed');
    expect(json(await user.api.get(wsUrl(ws.id)))).toMatchObject({ name: 'Renamed', settings: null });

    const events = json(await owner.api.get(`/api/workspaces/${ws.id}/activity?type=workspace.updated`)).items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorUserId: admin.id, data: { changed: ['name', 'inviteExpiryDays', 'allowedEmailDomains', 'guestInvitesAdminOnly'] } });
    // An empty patch changes nothing and records nothing.
    expect((await admin.api.patch(wsUrl(ws.id), {})).statusCode).toBe(200);
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/activity?type=workspace.updated`)).items).toHaveLength(1);
  });

  it('validation: inviteExpiryDays 0 or 31, bad domains, unknown fields → 400; limits 1 and 30 are accepted', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Validation');
    for (const body of [
      { inviteExpiryDays: 0 },
      { inviteExpiryDays: 31 },
      { inviteExpiryDays: 2.5 },
      { inviteExpiryDays: '7' },
      { allowedEmailDomains: ['not a domain'] },
      { allowedEmailDomains: ['@example.com'] },
      { allowedEmailDomains: ['example'] },
      { allowedEmailDomains: ['-bad.example'] },
      { allowedEmailDomains: 'example.com' },
      { guestInvitesAdminOnly: 'yes' },
      { name: '' },
      { publicId: 'GH-0000-0000' },
      { createdByUserId: randomUUID() },
    ]) {
      expectProblem(await owner.api.patch(wsUrl(ws.id), body), 400, 'validation_failed');
    }
    const before = json(await owner.api.get(wsUrl(ws.id)));
    expect(before).toMatchObject({ name: 'Validation', publicId: ws.publicId, settings: { allowedEmailDomains: [] } });
    expect((await owner.api.patch(wsUrl(ws.id), { inviteExpiryDays: 1 })).statusCode).toBe(200);
    const res = await owner.api.patch(wsUrl(ws.id), { inviteExpiryDays: 30 });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).settings.inviteExpiryDays).toBe(30);
  });

  it('settings take effect: invite expiry, allowed domains and guestInvitesAdminOnly', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Effects');
    const user = await addMember(t, owner, ws.id, 'user');
    const invUrl = `/api/workspaces/${ws.id}/invitations`;
    // Users invite guests by default (positive control for the 403 below).
    expect((await user.api.post(invUrl, { emails: [uniqueEmail('g1')], role: 'guest' })).statusCode).toBe(201);

    expect((await owner.api.patch(wsUrl(ws.id), { inviteExpiryDays: 2, allowedEmailDomains: ['allowed.test'], guestInvitesAdminOnly: true })).statusCode).toBe(200);
    expectProblem(await user.api.post(invUrl, { emails: ['g2@allowed.test'], role: 'guest' }), 403, 'forbidden');
    const res = await owner.api.post(invUrl, { emails: [`ok-${randomUUID().slice(0, 6)}@allowed.test`, 'no@elsewhere.test'], role: 'user' });
    expect(res.statusCode, res.body).toBe(201);
    const body = json(res);
    expect(body.skipped).toEqual([{ email: 'no@elsewhere.test', reason: 'domain_not_allowed' }]);
    expect(new Date(body.created[0].expiresAt).getTime() - t.clock.now().getTime()).toBe(2 * DAY);
  });
});
