import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, json, type Res, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, expectProblem, type TestUser } from '../factories.js';
import { announceSkip, count, describePg, expectOneOf, HIGH_LIMITS, q } from './support.js';

announceSkip('ownership.test.ts');

describePg('ownership and role races (PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: HIGH_LIMITS });
  });
  afterAll(() => t?.close());

  /** Existing (signed-in) users join a workspace through invitation + inbox acceptance; returns member ids. */
  async function join(owner: TestUser, wsId: string, people: { user: TestUser; role: string }[]): Promise<string[]> {
    const ids: string[] = [];
    for (const { user, role } of people) {
      const res = await owner.api.post(`/api/workspaces/${wsId}/invitations`, { emails: [user.email], role });
      expect(res.statusCode, res.body).toBe(201);
      const acc = await user.api.post(`/api/me/invitations/${json(res).created[0].id}/accept`);
      expect(acc.statusCode, acc.body).toBe(200);
      ids.push(json(acc).memberId);
    }
    return ids;
  }

  const owners = (wsId: string) => q<{ id: string }>(t, sql`select id from members where workspace_id = ${wsId} and role = 'owner' and status = 'active'`);
  const roleOf = async (memberId: string) => (await q<{ role: string; status: string }>(t, sql`select role, status from members where id = ${memberId}`))[0]!;

  it('T-CONC-04: owner transfers to X and to Y at the same time, 20 runs → exactly one transfer, exactly one owner', async () => {
    const people = await Promise.all([0, 1, 2, 3].map(() => createUser(t)));
    const first = people[0]!;
    const ws = await createWorkspace(first, 'Transfer race');
    const ids = new Map<TestUser, string>([[first, ws.memberId]]);
    (await join(first, ws.id, people.slice(1).map((user) => ({ user, role: 'admin' })))).forEach((id, i) => ids.set(people[i + 1]!, id));

    let owner = first;
    for (let run = 0; run < 20; run++) {
      const others = people.filter((p) => p !== owner);
      const [x, y] = [others[run % 3]!, others[(run + 1) % 3]!];
      const results = await Promise.all([x, y].map((to) => owner.api.post(`/api/workspaces/${ws.id}/transfer-ownership`, { memberId: ids.get(to)! })));
      const winners = results.map((r, i) => (r.statusCode === 204 ? [x, y][i]! : null)).filter((w) => w !== null);
      expect(winners, results.map((r) => `${r.statusCode} ${r.body}`).join('\n')).toHaveLength(1);
      // The loser ran second, against the result: its actor is no longer the owner.
      for (const r of results) if (r.statusCode !== 204) expectProblem(r as Res, 403, 'forbidden');
      const now = await owners(ws.id);
      expect(now).toEqual([{ id: ids.get(winners[0]!) }]);
      expect((await roleOf(ids.get(owner)!)).role).toBe('admin');
      owner = winners[0]!;
    }
    expect(await count(t, sql`select count(*) as n from activity_events where workspace_id = ${ws.id} and type = 'workspace.ownership_transferred'`)).toBe(20);
  });

  it('T-CONC-04: transfer to X while an admin demotes/removes X and the owner leaves, 16 runs → one owner in every run', async () => {
    const owner = await createUser(t);
    const admin = await createUser(t);
    const x = await createUser(t);
    const outcomes = new Map<string, number>();
    for (let run = 0; run < 16; run++) {
      const ws = await createWorkspace(owner, `Triangle ${run}`);
      const [, xId] = await join(owner, ws.id, [
        { user: admin, role: 'super_admin' },
        { user: x, role: 'user' },
      ]);
      const attack =
        run % 2 === 0
          ? admin.api.delete(`/api/workspaces/${ws.id}/members/${xId}`)
          : admin.api.patch(`/api/workspaces/${ws.id}/members/${xId}`, { role: 'login_only' });
      const [transfer, hit, leave] = await Promise.all([
        owner.api.post(`/api/workspaces/${ws.id}/transfer-ownership`, { memberId: xId! }),
        attack,
        owner.api.delete(`/api/workspaces/${ws.id}/members/${ws.memberId}`),
      ]);
      const story = `transfer ${transfer.statusCode} ${transfer.body}\nattack ${hit.statusCode} ${hit.body}\nleave ${leave.statusCode} ${leave.body}`;
      expectOneOf(transfer, { 204: null, 422: ['invalid_ownership_target'] });
      expectOneOf(hit, run % 2 === 0 ? { 204: null, 403: ['role_ceiling'] } : { 200: null, 403: ['role_ceiling'] });
      expectOneOf(leave, { 204: null, 409: ['last_owner'] });

      const ownerNow = await owners(ws.id);
      expect(ownerNow, story).toHaveLength(1);
      const xNow = await roleOf(xId!);
      const ownerRow = await roleOf(ws.memberId);
      if (transfer.statusCode === 204) {
        expect(ownerNow[0]!.id, story).toBe(xId);
        expect(xNow, story).toEqual({ role: 'owner', status: 'active' });
        // The former owner is an admin now: leaving is allowed only if it ran after the transfer.
        expect(ownerRow, story).toEqual(leave.statusCode === 204 ? { role: 'admin', status: 'removed' } : { role: 'admin', status: 'active' });
        if (hit.statusCode === 409) expect(xNow.role).toBe('owner');
      } else {
        // The attack came first: X was removed (transfer impossible), and the owner stays.
        expect(run % 2, story).toBe(0);
        expect(hit.statusCode, story).toBe(204);
        expect(xNow.status, story).toBe('removed');
        expect(ownerNow[0]!.id, story).toBe(ws.memberId);
        expectProblem(leave as Res, 409, 'last_owner');
        expect(ownerRow, story).toEqual({ role: 'owner', status: 'active' });
      }
      const key = `transfer ${transfer.statusCode} / ${run % 2 ? 'demote' : 'remove'} ${hit.statusCode} / leave ${leave.statusCode}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    console.log(`[T-CONC-04] transfer/attack/leave outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });

  it('T-CONC-04: two admins demote each other at once → exactly one wins (the loser is no longer an admin); chained demotions stay consistent', async () => {
    const owner = await createUser(t);
    const [a, b, s] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
    const ws = await createWorkspace(owner, 'Peer demotion');
    const [aId, bId, sId] = await join(owner, ws.id, [
      { user: a, role: 'admin' },
      { user: b, role: 'admin' },
      { user: s, role: 'super_admin' },
    ]);

    for (let run = 0; run < 10; run++) {
      const [ab, ba] = await Promise.all([
        a.api.patch(`/api/workspaces/${ws.id}/members/${bId}`, { role: 'user' }),
        b.api.patch(`/api/workspaces/${ws.id}/members/${aId}`, { role: 'user' }),
      ]);
      // Serialised by the workspace lock: the second request sees its actor already demoted.
      const statuses = [ab.statusCode, ba.statusCode].sort();
      expect(statuses, `${ab.body} / ${ba.body}`).toEqual([200, 403]);
      expectProblem((ab.statusCode === 403 ? ab : ba) as Res, 403, 'forbidden');
      const roles = [(await roleOf(aId!)).role, (await roleOf(bId!)).role].sort();
      expect(roles).toEqual(['admin', 'user']);
      // Reset for the next run.
      const demoted = (await roleOf(aId!)).role === 'user' ? aId! : bId!;
      expect((await owner.api.patch(`/api/workspaces/${ws.id}/members/${demoted}`, { role: 'admin' })).statusCode).toBe(200);
    }

    // Positive control and a real interleaving: the owner demotes the super admin S while S demotes admin A.
    // Serialised by the workspace lock, S's request either ran first (A demoted) or saw S already demoted (403).
    const seen = new Set<string>();
    for (let run = 0; run < 10; run++) {
      const [os, sa] = await Promise.all([
        owner.api.patch(`/api/workspaces/${ws.id}/members/${sId}`, { role: 'user' }),
        s.api.patch(`/api/workspaces/${ws.id}/members/${aId}`, { role: 'user' }),
      ]);
      expect(os.statusCode, os.body).toBe(200);
      expect((await roleOf(sId!)).role).toBe('user');
      if (sa.statusCode === 200) {
        expect((await roleOf(aId!)).role).toBe('user');
        seen.add('S first');
      } else {
        expectProblem(sa as Res, 403, 'forbidden');
        expect((await roleOf(aId!)).role).toBe('admin');
        seen.add('owner first');
      }
      // Reset for the next run.
      for (const [id, role] of [[sId, 'super_admin'], [aId, 'admin']] as const) {
        const r = await owner.api.patch(`/api/workspaces/${ws.id}/members/${id}`, { role });
        expect(r.statusCode, r.body).toBe(200);
      }
    }
    console.log(`[T-CONC-04] owner-demotes-S vs S-demotes-A orders seen: ${[...seen].join(', ')}`);
    expect(await owners(ws.id)).toHaveLength(1);
  });
});
