import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { caller, createTestApp, json, type Res, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, expectProblem, invite, PASSWORD, uniqueEmail } from '../factories.js';
import { announceSkip, bulkInvite, count, describePg, expectOneOf, HIGH_LIMITS, q, tokensOf } from './support.js';

announceSkip('accept.test.ts');

describePg('concurrent acceptance (PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: HIGH_LIMITS });
  });
  afterAll(() => t?.close());

  it('T-CONC-01: 50 parallel accepts of one link by the invitee → one 200, one membership, one accepted event', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Race accept');
    const invitee = await createUser(t);
    const { invitationId, token } = await invite(t, owner, ws.id, invitee.email, 'user');
    const outboxBefore = await count(t, sql`select count(*) as n from outbox`);

    const results = await Promise.all(Array.from({ length: 50 }, () => invitee.api.post(`/api/invitations/${token}/accept`)));

    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok, results.map((r) => r.statusCode).join(',')).toHaveLength(1);
    for (const r of results) if (r.statusCode !== 200) expectOneOf(r, { 410: ['invitation_used'], 409: ['already_member', 'invitation_not_pending', 'conflict'] });
    const memberId = json(ok[0]!).memberId;

    expect(await count(t, sql`select count(*) as n from members where workspace_id = ${ws.id} and user_id = ${invitee.id}`)).toBe(1);
    const [member] = await q<{ id: string; status: string; role: string }>(t, sql`select id, status, role from members where workspace_id = ${ws.id} and user_id = ${invitee.id}`);
    expect(member).toEqual({ id: memberId, status: 'active', role: 'user' });
    expect(await count(t, sql`select count(*) as n from activity_events where type = 'invitation.accepted' and subject_id = ${invitationId}`)).toBe(1);
    expect(await count(t, sql`select count(*) as n from activity_events where type = 'member.joined' and target_user_id = ${invitee.id} and workspace_id = ${ws.id}`)).toBe(1);
    const [inv] = await q<{ status: string; accepted_by_user_id: string }>(t, sql`select status, accepted_by_user_id from invitations where id = ${invitationId}`);
    expect(inv).toEqual({ status: 'accepted', accepted_by_user_id: invitee.id });
    // Acceptance sends nothing; 49 losers must not have queued anything either.
    expect(await count(t, sql`select count(*) as n from outbox`)).toBe(outboxBefore);
    // And the link is now spent for everyone (positive control above: the winner's 200).
    expectProblem(await invitee.api.post(`/api/invitations/${token}/accept`), 410, 'invitation_used');
  });

  it('T-CONC-01: 10 parallel newcomer sign-ups with one token → one user, one membership, one session winner', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Race newcomer');
    const email = uniqueEmail('newcomer');
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'user');

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => caller(t.app).post('/api/auth/sign-up', { invitationToken: token, password: PASSWORD, name: `Newcomer ${i}` })),
    );

    const created = results.filter((r) => r.statusCode === 201);
    expect(created, results.map((r) => `${r.statusCode} ${r.body}`).join('\n')).toHaveLength(1);
    for (const r of results) if (r.statusCode !== 201) expectOneOf(r, { 409: ['account_exists_login_required', 'already_member', 'conflict'], 410: ['invitation_used'] });
    expect(created[0]!.headers['set-cookie']).toBeDefined();
    const winner = json(created[0]!);

    const users = await q<{ id: string; name: string }>(t, sql`select id, name from users where email = ${email}`);
    expect(users).toHaveLength(1);
    expect(users[0]!.id).toBe(winner.user.id);
    expect(await count(t, sql`select count(*) as n from members where workspace_id = ${ws.id} and user_id = ${winner.user.id} and status = 'active'`)).toBe(1);
    expect(await count(t, sql`select count(*) as n from members m join users u on u.id = m.user_id where m.workspace_id = ${ws.id} and u.email = ${email}`)).toBe(1);
    expect(await count(t, sql`select count(*) as n from activity_events where type = 'invitation.accepted' and subject_id = ${invitationId}`)).toBe(1);
    expect(await count(t, sql`select count(*) as n from activity_events where type = 'auth.signed_up' and subject_id = ${winner.user.id}`)).toBe(1);
    // Only the winner got a session.
    expect(await count(t, sql`select count(*) as n from sessions where user_id = ${winner.user.id}`)).toBe(1);
  });

  it('T-CONC-03: accept and revoke fired together, 30 runs → accepted+member or revoked+no member, never both or neither', async () => {
    const runs = 30;
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Race revoke');
    const invitees = await Promise.all(Array.from({ length: runs }, () => createUser(t, { email: uniqueEmail('racer') })));
    const ids = await bulkInvite(owner, ws.id, invitees.map((u) => u.email));
    const tokens = await tokensOf(t, [...ids.values()]);

    const tally = { accepted: 0, revoked: 0 };
    for (const user of invitees) {
      const id = ids.get(user.email)!;
      const token = tokens.get(id)!;
      const [acc, rev] = await Promise.all([user.api.post(`/api/invitations/${token}/accept`), owner.api.delete(`/api/workspaces/${ws.id}/invitations/${id}`)]);
      const [inv] = await q<{ status: string }>(t, sql`select status from invitations where id = ${id}`);
      const memberships = await q<{ status: string; role: string }>(t, sql`select status, role from members where workspace_id = ${ws.id} and user_id = ${user.id}`);
      const events = await q<{ type: string }>(t, sql`select type from activity_events where subject_id = ${id} and type in ('invitation.accepted', 'invitation.revoked')`);
      const story = `accept ${acc.statusCode} ${acc.body} / revoke ${rev.statusCode} ${rev.body} / ${inv!.status} / ${JSON.stringify(memberships)}`;
      if (acc.statusCode === 200) {
        // Accept won: the revoke saw a non-pending invitation.
        expectProblem(rev as Res, 409, 'invitation_not_pending');
        expect(inv!.status, story).toBe('accepted');
        expect(memberships, story).toEqual([{ status: 'active', role: 'user' }]);
        expect(events.map((e) => e.type)).toEqual(['invitation.accepted']);
        tally.accepted++;
      } else {
        // Revoke won: the link answers "revoked", nobody joined, nothing rolled back to pending.
        expect(rev.statusCode, story).toBe(204);
        expectProblem(acc as Res, 410, 'invitation_revoked');
        expect(inv!.status, story).toBe('revoked');
        expect(memberships, story).toEqual([]);
        expect(events.map((e) => e.type)).toEqual(['invitation.revoked']);
        tally.revoked++;
      }
    }
    expect(tally.accepted + tally.revoked).toBe(runs);
    console.log(`[T-CONC-03] ${runs} accept/revoke races: accept won ${tally.accepted}, revoke won ${tally.revoked}`);
    expect(await count(t, sql`select count(*) as n from invitations where workspace_id = ${ws.id} and status = 'pending'`)).toBe(0);
  });
});
