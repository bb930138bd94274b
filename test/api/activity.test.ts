import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE } from '../../src/app/context.js';
import { verifyActivityChains } from '../../src/modules/activity/service.js';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, type TestUser } from '../factories.js';

type Event = { id: string; type: string; createdAt: string; actorUserId: string | null; targetUserId: string | null; subjectType: string | null; subjectId: string | null; data: Record<string, unknown>; ip: string | null; userAgent: string | null };

const UA = 'GatehouseTest/1.0 (activity)';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const actUrl = (ws: string, q = '') => `/api/workspaces/${ws}/activity${q}`;

async function all(admin: TestUser, ws: string, q = ''): Promise<Event[]> {
  const res = await admin.api.get(actUrl(ws, `?limit=200${q}`));
  expect(res.statusCode, res.body).toBe(200);
  expect(json(res).nextCursor).toBeNull();
  return json(res).items;
}

/** A workspace with a known sequence of events, one clock step apart. */
async function scenario() {
  const owner = await createUser(t);
  const ws = await createWorkspace(owner, `Log ${randomUUID().slice(0, 6)}`);
  t.clock.advance(MINUTE);
  const admin = await addMember(t, owner, ws.id, 'admin');
  t.clock.advance(MINUTE);
  const user = await addMember(t, owner, ws.id, 'user');
  t.clock.advance(MINUTE);
  const mark = t.clock.now();
  expect((await admin.api.post(`/api/workspaces/${ws.id}/locations`, { name: 'Lab' }, { 'user-agent': UA })).statusCode).toBe(201);
  t.clock.advance(MINUTE);
  expect((await owner.api.patch(`/api/workspaces/${ws.id}/members/${user.memberId}`, { role: 'login_only' }, { 'user-agent': UA })).statusCode).toBe(200);
  t.clock.advance(MINUTE);
  expect((await admin.api.patch(`/api/workspaces/${ws.id}`, { name: 'Renamed log' }, { 'user-agent': UA })).statusCode).toBe(200);
  t.clock.advance(MINUTE);
  return { owner, ws, admin, user, mark };
}

describe('activity API', () => {
  it('T-AUD-07: admins read it; users and login_only get 403; outsiders 404', async () => {
    const { owner, ws, admin, user } = await scenario();
    const plain = await addMember(t, owner, ws.id, 'user');
    const sa = await addMember(t, owner, ws.id, 'super_admin');
    for (const who of [owner, admin, sa]) expect((await who.api.get(actUrl(ws.id))).statusCode).toBe(200);
    expectProblem(await plain.api.get(actUrl(ws.id)), 403, 'forbidden');
    expectProblem(await user.api.get(actUrl(ws.id)), 403, 'forbidden'); // now login_only
    const outsider = await createUser(t);
    await createWorkspace(outsider, 'Own'); // an admin elsewhere is nobody here
    expectProblem(await outsider.api.get(actUrl(ws.id)), 404, 'not_found');
  });

  it('newest first, with actor, target, subject, ip and user agent on each entry', async () => {
    const { owner, ws, admin, user } = await scenario();
    const events = await all(owner, ws.id);
    const times = events.map((e) => new Date(e.createdAt).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['workspace.updated', 'member.role_changed', 'location.created']);
    expect(events.at(-1)!.type).toBe('workspace.created');
    const roleChange = events[1]!;
    expect(roleChange).toMatchObject({ actorUserId: owner.id, targetUserId: user.id, subjectType: 'member', subjectId: user.memberId, data: { from: 'user', to: 'login_only' }, userAgent: UA });
    expect(roleChange.ip).toBe('127.0.0.1');
    expect(events[0]).toMatchObject({ actorUserId: admin.id, subjectType: 'workspace', subjectId: ws.id, userAgent: UA, ip: '127.0.0.1' });
    // Only this workspace's events.
    expect(events.every((e) => !e.type.startsWith('auth.'))).toBe(true);
    expect(Object.keys(roleChange).sort()).toEqual(['actorUserId', 'createdAt', 'data', 'id', 'ip', 'subjectId', 'subjectType', 'targetUserId', 'type', 'userAgent']);
  });

  it('filters by type (csv), actor, target, subject and time window', async () => {
    const { owner, ws, admin, user, mark } = await scenario();
    const everything = await all(owner, ws.id);

    const roleChanges = await all(owner, ws.id, '&type=member.role_changed');
    expect(roleChanges.map((e) => e.subjectId)).toEqual([user.memberId]);
    const two = await all(owner, ws.id, '&type=member.role_changed,location.created');
    expect(two.map((e) => e.type)).toEqual(['member.role_changed', 'location.created']);

    const byAdmin = await all(owner, ws.id, `&actorUserId=${admin.id}`);
    expect(byAdmin.length).toBeGreaterThan(0);
    expect(byAdmin.every((e) => e.actorUserId === admin.id)).toBe(true);
    expect(byAdmin.map((e) => e.type)).toEqual(expect.arrayContaining(['workspace.updated', 'location.created', 'member.joined']));
    expect(byAdmin.length).toBe(everything.filter((e) => e.actorUserId === admin.id).length);

    expect((await all(owner, ws.id, `&targetUserId=${user.id}`)).every((e) => e.targetUserId === user.id)).toBe(true);
    expect((await all(owner, ws.id, `&subjectId=${ws.id}`)).map((e) => e.type)).toEqual(['workspace.updated', 'workspace.created']);

    // [from, to] is inclusive on both ends.
    const from = mark.toISOString();
    const to = new Date(mark.getTime() + MINUTE).toISOString();
    const window = await all(owner, ws.id, `&from=${from}&to=${to}`);
    expect(window.map((e) => e.type)).toEqual(['member.role_changed', 'location.created']);
    expect(await all(owner, ws.id, `&from=${new Date(mark.getTime() + 10 * MINUTE).toISOString()}`)).toEqual([]);

    expectProblem(await owner.api.get(actUrl(ws.id, '?type=not.a.type')), 400, 'validation_failed');
    expectProblem(await owner.api.get(actUrl(ws.id, '?type=member.removed&type=member.left')), 400, 'validation_failed');
    expectProblem(await owner.api.get(actUrl(ws.id, '?actorUserId=nope')), 400, 'validation_failed');
    expectProblem(await owner.api.get(actUrl(ws.id, '?from=yesterday')), 400, 'validation_failed');
    expectProblem(await owner.api.get(actUrl(ws.id, '?cursor=garbage')), 400, 'validation_failed');
    expectProblem(await owner.api.get(actUrl(ws.id, '?limit=201')), 400, 'validation_failed');
  });

  it('keyset pagination walks every entry once, newest first, also while new events arrive', async () => {
    const { owner, ws } = await scenario();
    // Several events in the same instant (ties broken by id).
    for (const name of ['A', 'B', 'C']) expect((await owner.api.post(`/api/workspaces/${ws.id}/locations`, { name })).statusCode).toBe(201);
    const everything = await all(owner, ws.id);
    expect(everything.length).toBeGreaterThanOrEqual(10);

    const seen: Event[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res = await owner.api.get(actUrl(ws.id, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      expect(res.statusCode, res.body).toBe(200);
      const body = json(res);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items);
      cursor = body.nextCursor;
      if (page === 0) {
        // New events land "before" the first page: the walk must neither repeat nor include them.
        t.clock.advance(MINUTE);
        expect((await owner.api.post(`/api/workspaces/${ws.id}/locations`, { name: 'Late' })).statusCode).toBe(201);
      }
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(seen.map((e) => e.id)).toEqual(everything.map((e) => e.id));
  });
});

describe('T-AUD-03: the hash chain detects tampering', () => {
  it('verifies clean, then reports the first broken seq after an edit, a deleted middle row and a deleted last row', async () => {
    const c = await createTestApp();
    try {
      const owner = await createUser(c);
      const wsIds: string[] = [];
      for (const name of ['Edited', 'Deleted', 'Truncated', 'Untouched']) {
        const ws = await createWorkspace(owner, name);
        wsIds.push(ws.id);
        for (const loc of ['a', 'b', 'c', 'd']) expect((await owner.api.post(`/api/workspaces/${ws.id}/locations`, { name: loc })).statusCode).toBe(201);
      }
      const clean = await verifyActivityChains(c.deps.db);
      expect(clean.length).toBeGreaterThanOrEqual(5); // 4 workspaces + the owner's user chain
      expect(clean.filter((r) => !r.ok)).toEqual([]);
      const report = async (ws: string) => (await verifyActivityChains(c.deps.db)).find((r) => r.chain === `ws:${ws}`)!;
      expect(await report(wsIds[0]!)).toEqual({ chain: `ws:${wsIds[0]}`, events: 5, ok: true });

      const [edited, deleted, truncated, untouched] = wsIds as [string, string, string, string];
      // 1. Change one field of an old row.
      await c.deps.db.execute(sql`update activity_events set data = ${JSON.stringify({ name: 'forged' })}::jsonb where chain = ${`ws:${edited}`} and seq = 2`);
      expect(await report(edited)).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'content changed' });
      // 2. Delete a middle row.
      await c.deps.db.execute(sql`delete from activity_events where chain = ${`ws:${deleted}`} and seq = 3`);
      expect(await report(deleted)).toMatchObject({ ok: false, firstBadSeq: 3, problem: 'missing event' });
      // 3. Delete the newest row (detected through the chain head).
      await c.deps.db.execute(sql`delete from activity_events where chain = ${`ws:${truncated}`} and seq = 5`);
      expect(await report(truncated)).toMatchObject({ ok: false, problem: 'events missing at the end' });
      // Other chains are unaffected.
      expect(await report(untouched)).toEqual({ chain: `ws:${untouched}`, events: 5, ok: true });
      // 4. Re-hashing a forged row is not enough either: the next row's link breaks.
      await c.deps.db.execute(sql`update activity_events set hash = ${'f'.repeat(64)} where chain = ${`ws:${untouched}`} and seq = 2`);
      expect(await report(untouched)).toMatchObject({ ok: false, firstBadSeq: 2 });
    } finally {
      await c.close();
    }
  });
});
