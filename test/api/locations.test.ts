import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, invite, uniqueEmail, type TestUser } from '../factories.js';

type Location = { id: string; name: string; createdAt: string; memberCount?: number };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const locsUrl = (ws: string) => `/api/workspaces/${ws}/locations`;
const locUrl = (ws: string, id: string) => `/api/workspaces/${ws}/locations/${id}`;
const memberUrl = (ws: string, id: string) => `/api/workspaces/${ws}/members/${id}`;

async function list(api: TestUser['api'], ws: string): Promise<Location[]> {
  const res = await api.get(locsUrl(ws));
  expect(res.statusCode, res.body).toBe(200);
  return json(res).items;
}

async function create(api: TestUser['api'], ws: string, name: string): Promise<Location> {
  const res = await api.post(locsUrl(ws), { name });
  expect(res.statusCode, res.body).toBe(201);
  return json(res);
}

async function memberLocations(api: TestUser['api'], ws: string, memberId: string): Promise<string[]> {
  const res = await api.get(memberUrl(ws, memberId));
  expect(res.statusCode, res.body).toBe(200);
  return (json(res).locations as Location[]).map((l) => l.name);
}

async function setup() {
  const owner = await createUser(t);
  const ws = await createWorkspace(owner, `Aranet ${randomUUID().slice(0, 6)}`);
  const admin = await addMember(t, owner, ws.id, 'admin');
  const user = await addMember(t, owner, ws.id, 'user');
  return { owner, ws, admin, user };
}

async function activityTypes(admin: TestUser, ws: string, type: string) {
  const res = await admin.api.get(`/api/workspaces/${ws}/activity?type=${type}&limit=200`);
  expect(res.statusCode, res.body).toBe(200);
  return json(res).items as { type: string; subjectId: string; data: Record<string, unknown> }[];
}

describe('locations CRUD (Aranet)', () => {
  it('admins create, rename and delete; users and login_only get 403 and nothing changes; everyone in the workspace can read the list', async () => {
    const { owner, ws, admin, user } = await setup();
    const lo = await addMember(t, owner, ws.id, 'login_only');
    const lab = await create(admin.api, ws.id, 'Lab');
    expect(lab).toMatchObject({ name: 'Lab', memberCount: 0 });
    await create(owner.api, ws.id, 'attic');

    for (const who of [user, lo]) {
      expectProblem(await who.api.post(locsUrl(ws.id), { name: 'Basement' }), 403, 'forbidden');
      expectProblem(await who.api.patch(locUrl(ws.id, lab.id), { name: 'Kitchen' }), 403, 'forbidden');
      expectProblem(await who.api.delete(locUrl(ws.id, lab.id)), 403, 'forbidden');
      // Reading is allowed (pickers need it): sorted case-insensitively.
      expect((await list(who.api, ws.id)).map((l) => l.name)).toEqual(['attic', 'Lab']);
    }

    const renamed = await admin.api.patch(locUrl(ws.id, lab.id), { name: 'Laboratory' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(json(renamed)).toMatchObject({ id: lab.id, name: 'Laboratory' });
    expect((await admin.api.delete(locUrl(ws.id, lab.id))).statusCode).toBe(204);
    expect((await list(user.api, ws.id)).map((l) => l.name)).toEqual(['attic']);
    expectProblem(await admin.api.delete(locUrl(ws.id, lab.id)), 404, 'not_found');
    expectProblem(await admin.api.patch(locUrl(ws.id, lab.id), { name: 'Ghost' }), 404, 'not_found');

    const events = await activityTypes(owner, ws.id, 'location.created,location.renamed,location.deleted');
    expect(events.filter((e) => e.subjectId === lab.id).map((e) => e.type).sort()).toEqual(['location.created', 'location.deleted', 'location.renamed']);
    expect(events.find((e) => e.type === 'location.renamed')!.data).toEqual({ from: 'Lab', to: 'Laboratory' });
  });

  it('validates names: empty, too long and unknown properties → 400', async () => {
    const { ws, admin } = await setup();
    expectProblem(await admin.api.post(locsUrl(ws.id), { name: '' }), 400, 'validation_failed');
    expectProblem(await admin.api.post(locsUrl(ws.id), { name: 'x'.repeat(121) }), 400, 'validation_failed');
    expectProblem(await admin.api.post(locsUrl(ws.id), { name: 'Ok', workspaceId: randomUUID() }), 400, 'validation_failed');
    expectProblem(await admin.api.post(locsUrl(ws.id), {}), 400, 'validation_failed');
    expect(await list(admin.api, ws.id)).toEqual([]);
  });

  it('duplicate names are refused case-insensitively, on create and on rename (409 location_name_taken)', async () => {
    const { ws, admin } = await setup();
    const hall = await create(admin.api, ws.id, 'Main Hall');
    const gym = await create(admin.api, ws.id, 'Gym');
    expectProblem(await admin.api.post(locsUrl(ws.id), { name: 'main hall' }), 409, 'location_name_taken');
    expectProblem(await admin.api.post(locsUrl(ws.id), { name: 'MAIN HALL' }), 409, 'location_name_taken');
    expectProblem(await admin.api.patch(locUrl(ws.id, gym.id), { name: 'Main HALL' }), 409, 'location_name_taken');
    expect((await list(admin.api, ws.id)).map((l) => l.name)).toEqual(['Gym', 'Main Hall']);
    // Renaming to a different case of its own name is fine; the same name in another workspace too.
    expect((await admin.api.patch(locUrl(ws.id, hall.id), { name: 'MAIN hall' })).statusCode).toBe(200);
    const other = await setup();
    await create(other.admin.api, other.ws.id, 'Main Hall');
  });
});

describe('member locations', () => {
  it('an admin limits a user to locations; they show in the member list and in memberCount; member.locations_changed is recorded', async () => {
    const { owner, ws, admin, user } = await setup();
    const a = await create(admin.api, ws.id, 'Beta');
    const b = await create(admin.api, ws.id, 'alpha');
    const res = await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [a.id, b.id, a.id] });
    expect(res.statusCode, res.body).toBe(200);
    expect((json(res).locations as Location[]).map((l) => l.name)).toEqual(['alpha', 'Beta']);
    const listed = json(await owner.api.get(`/api/workspaces/${ws.id}/members?limit=200`)).items.find((m: { id: string }) => m.id === user.memberId);
    expect(listed.locations).toEqual([
      { id: b.id, name: 'alpha' },
      { id: a.id, name: 'Beta' },
    ]);
    expect((await list(admin.api, ws.id)).map((l) => [l.name, l.memberCount])).toEqual([
      ['alpha', 1],
      ['Beta', 1],
    ]);
    const events = await activityTypes(owner, ws.id, 'member.locations_changed');
    expect(events).toHaveLength(1);
    expect(events[0]!.subjectId).toBe(user.memberId);
    // Narrow to one, then clear.
    expect((await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [b.id] })).statusCode).toBe(200);
    expect(await memberLocations(owner.api, ws.id, user.memberId)).toEqual(['alpha']);
    expect((await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [] })).statusCode).toBe(200);
    expect(await memberLocations(owner.api, ws.id, user.memberId)).toEqual([]);
  });

  it('locations on an admin → 422 unprocessable; promoting a user to admin clears their locations', async () => {
    const { owner, ws, admin, user } = await setup();
    const loc = await create(admin.api, ws.id, 'Annex');
    expectProblem(await owner.api.patch(memberUrl(ws.id, admin.memberId), { locationIds: [loc.id] }), 422, 'unprocessable');
    expectProblem(await owner.api.patch(memberUrl(ws.id, user.memberId), { role: 'admin', locationIds: [loc.id] }), 422, 'unprocessable');
    expect(await memberLocations(owner.api, ws.id, admin.memberId)).toEqual([]);
    const u = await owner.api.get(memberUrl(ws.id, user.memberId));
    expect(json(u)).toMatchObject({ role: 'user', locations: [] }); // the refused request changed nothing
    // Positive control, then promotion clears the scope.
    expect((await owner.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [loc.id] })).statusCode).toBe(200);
    expect(await memberLocations(owner.api, ws.id, user.memberId)).toEqual(['Annex']);
    const promoted = await owner.api.patch(memberUrl(ws.id, user.memberId), { role: 'admin' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(json(promoted)).toMatchObject({ role: 'admin', locations: [] });
  });

  it('unknown or other-workspace location ids → 422 unknown_location, nothing changes (also on invitations)', async () => {
    const { owner, ws, admin, user } = await setup();
    const mine = await create(admin.api, ws.id, 'Home');
    const other = await setup();
    const theirs = await create(other.admin.api, other.ws.id, 'Theirs');
    expect((await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [mine.id] })).statusCode).toBe(200);

    expectProblem(await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [theirs.id] }), 422, 'unknown_location');
    expectProblem(await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [mine.id, theirs.id] }), 422, 'unknown_location');
    expectProblem(await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [randomUUID()] }), 422, 'unknown_location');
    expectProblem(await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: ['not-a-uuid'] }), 400, 'validation_failed');
    expect(await memberLocations(owner.api, ws.id, user.memberId)).toEqual(['Home']);
    expect((await list(other.admin.api, other.ws.id)).map((l) => [l.name, l.memberCount])).toEqual([['Theirs', 0]]);

    const email = uniqueEmail();
    expectProblem(await admin.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'user', locationIds: [theirs.id] }), 422, 'unknown_location');
    expectProblem(await admin.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [email], role: 'admin', locationIds: [mine.id] }), 422, 'unprocessable');
    expect(json(await admin.api.get(`/api/workspaces/${ws.id}/invitations?q=${encodeURIComponent(email)}`)).items).toEqual([]);
  });

  it('an invitation with locations gives the user those locations on accept; a location deleted meanwhile is dropped', async () => {
    const { owner, ws, admin } = await setup();
    const keep = await create(admin.api, ws.id, 'Keep');
    const gone = await create(admin.api, ws.id, 'Gone');
    const person = await createUser(t);
    const { token } = await invite(t, admin, ws.id, person.email, 'user', { locationIds: [keep.id, gone.id] });
    expect((await admin.api.delete(locUrl(ws.id, gone.id))).statusCode).toBe(204);
    const res = await person.api.post(`/api/invitations/${token}/accept`);
    expect(res.statusCode, res.body).toBe(200);
    expect(await memberLocations(owner.api, ws.id, json(res).memberId)).toEqual(['Keep']);
  });

  it('deleting a location removes it from every member', async () => {
    const { owner, ws, admin, user } = await setup();
    const user2 = await addMember(t, owner, ws.id, 'user');
    const x = await create(admin.api, ws.id, 'X');
    const y = await create(admin.api, ws.id, 'Y');
    expect((await admin.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [x.id, y.id] })).statusCode).toBe(200);
    expect((await admin.api.patch(memberUrl(ws.id, user2.memberId), { locationIds: [x.id] })).statusCode).toBe(200);
    expect((await admin.api.delete(locUrl(ws.id, x.id))).statusCode).toBe(204);
    expect(await memberLocations(owner.api, ws.id, user.memberId)).toEqual(['Y']);
    expect(await memberLocations(owner.api, ws.id, user2.memberId)).toEqual([]);
    expect((await list(admin.api, ws.id)).map((l) => [l.name, l.memberCount])).toEqual([['Y', 1]]);
  });

  it('a user cannot change their own locations (403) nor anyone else’s', async () => {
    const { owner, ws, admin, user } = await setup();
    const user2 = await addMember(t, owner, ws.id, 'user');
    const loc = await create(admin.api, ws.id, 'Mine');
    expectProblem(await user.api.patch(memberUrl(ws.id, user.memberId), { locationIds: [loc.id] }), 403, 'forbidden');
    expectProblem(await user.api.patch(memberUrl(ws.id, user2.memberId), { locationIds: [loc.id] }), 403, 'forbidden');
    expect(await memberLocations(owner.api, ws.id, user.memberId)).toEqual([]);
    expect(await memberLocations(owner.api, ws.id, user2.memberId)).toEqual([]);
  });
});
