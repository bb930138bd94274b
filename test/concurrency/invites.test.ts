import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, json, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, uniqueEmail } from '../factories.js';
import { announceSkip, count, describePg, HIGH_LIMITS, q, waitFor } from './support.js';

announceSkip('invites.test.ts');

/** The error a raw statement fails with (pg error, possibly wrapped by drizzle). */
async function sqlError(t: TestApp, query: ReturnType<typeof sql>): Promise<{ code?: string; constraint?: string } | null> {
  try {
    await t.deps.db.execute(query);
    return null;
  } catch (err) {
    let e: any = err;
    while (e && !e.code && e.cause) e = e.cause;
    return { code: e?.code, constraint: e?.constraint };
  }
}

/**
 * A raw transaction, left open, holding uncommitted pending invitations for `emails`: requests
 * inviting them block on these rows until the caller commits or rolls back (and ends) `holder`.
 */
async function holdPendingInvitations(t: TestApp, workspaceId: string, inviterUserId: string, emails: string[]): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: t.databaseUrl });
  await holder.connect();
  await holder.query('begin');
  await holder.query(
    `insert into invitations (id, workspace_id, email, email_display, role, type, location_ids, inviter_user_id, status, expires_at, token_hash, token_nonce, resend_count, last_sent_at, created_at, updated_at)
     select gen_random_uuid(), $1, g, g, 'user', 'member', '{}', $2, 'pending', now() + interval '1 day', md5(random()::text || g), 'n', 0, now(), now(), now() from unnest($3::text[]) g`,
    [workspaceId, inviterUserId, emails],
  );
  return holder;
}

describePg('concurrent invitations and database constraints (PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: HIGH_LIMITS });
  });
  afterAll(() => t?.close());

  it('T-CONC-02/T-INV-08: 20 parallel bulk invites sharing one address → one pending invitation, one mail, no 5xx', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Race bulk');
    const shared = uniqueEmail('shared');
    const lists = Array.from({ length: 20 }, (_, i) => {
      const own = [uniqueEmail(`own${i}a`), uniqueEmail(`own${i}b`)];
      // The shared address sits at different positions (and letter cases) in different lists.
      const sharedAs = i % 2 ? shared.toUpperCase() : shared;
      return i % 3 === 0 ? [sharedAs, ...own] : i % 3 === 1 ? [own[0]!, sharedAs, own[1]!] : [...own, sharedAs];
    });

    const results = await Promise.all(lists.map((emails) => owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails, role: 'user' })));

    for (const r of results) expect(r.statusCode, r.body).toBe(201);
    const bodies = results.map((r) => json(r));
    const createdShared = bodies.flatMap((b) => b.created).filter((c: { email: string }) => c.email.toLowerCase() === shared);
    expect(createdShared).toHaveLength(1);
    const skippedShared = bodies.flatMap((b) => b.skipped).filter((s: { email: string }) => s.email.toLowerCase() === shared);
    expect(skippedShared).toHaveLength(19);
    for (const s of skippedShared) expect(s.reason).toBe('already_pending');
    // Every distinct address was created exactly once, by its own request.
    bodies.forEach((b, i) => {
      const mine = b.created.map((c: { email: string }) => c.email.toLowerCase()).filter((e: string) => e !== shared);
      expect(mine.sort()).toEqual(lists[i]!.filter((e) => e.toLowerCase() !== shared).sort());
    });

    expect(await count(t, sql`select count(*) as n from invitations where workspace_id = ${ws.id} and email = ${shared}`)).toBe(1);
    expect(await count(t, sql`select count(*) as n from invitations where workspace_id = ${ws.id} and status = 'pending'`)).toBe(41);
    expect(await count(t, sql`select count(*) as n from activity_events where workspace_id = ${ws.id} and type = 'invitation.created'`)).toBe(41);

    await t.worker.drain();
    expect(await count(t, sql`select count(*) as n from dev_mailbox where "to" = ${shared}`)).toBe(1);
    const perAddress = await q<{ to: string; n: number }>(
      t,
      sql`select m."to", count(*)::int as n from dev_mailbox m join outbox o on o.id = m.outbox_id
          join invitations i on i.id = (o.payload->>'invitationId')::uuid where i.workspace_id = ${ws.id} group by m."to"`,
    );
    expect(perAddress).toHaveLength(41);
    for (const row of perAddress) expect(row.n, row.to).toBe(1);
  });

  it('T-CONC-02: two bulk invites with the same addresses in opposite orders, released at the same instant → no deadlock, no 5xx', async () => {
    // Two instances can run these requests truly in parallel. To get that overlap deterministically in one
    // process, a raw transaction first holds uncommitted pending invitations for two "gate" addresses that
    // sort first, one heading each list: one request blocks on its gate, the other on the workspace's
    // activity head that the first one holds (or on its own gate), and both go on when the gate rolls back.
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Race overlap');
    const tag = randomUUID().slice(0, 8);
    const gates = [`0000-gate-a-${tag}@example.test`, `0000-gate-b-${tag}@example.test`];
    const common = Array.from({ length: 300 }, () => uniqueEmail('overlap'));
    const holder = await holdPendingInvitations(t, ws.id, owner.id, gates);
    try {
      const requests = [[gates[0]!, ...common], [gates[1]!, ...[...common].reverse()]].map((emails) => owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails, role: 'user' }));
      const blocked = await waitFor(
        async () => (await count(t, sql`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and (query like '%insert into "invitations"%' or query like '%activity_chain_heads%')`)) === 2,
        10_000,
      );
      expect(blocked, 'both bulk invites should be waiting (on a gate row or on the activity head)').toBe(true);
      await holder.query('rollback');
      const results = await Promise.all(requests);
      for (const r of results) expect(r.statusCode, r.body).toBe(201);
      const created = results.flatMap((r) => json(r).created.map((c: { email: string }) => c.email));
      expect(created.sort()).toEqual([...gates, ...common].sort());
      const skipped = results.flatMap((r) => json(r).skipped);
      expect(skipped).toHaveLength(common.length);
      for (const s of skipped) expect(s.reason).toBe('already_pending');
      expect(await count(t, sql`select count(*) as n from invitations where workspace_id = ${ws.id} and status = 'pending'`)).toBe(common.length + 2);
    } finally {
      await holder.end();
    }
  });

  it('T-CONC-02: an invite that loses the race on an address is run again and reports it as already pending (nothing half-written)', async () => {
    // A raw transaction holds an uncommitted pending invitation for `raced`: the request's pre-check cannot
    // see it, its insert waits on it, and fails with a unique violation once it commits. The request's
    // transaction is then run again from the start, and sees the invitation.
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Race retry');
    const raced = uniqueEmail('raced');
    const other = uniqueEmail('other');
    const holder = await holdPendingInvitations(t, ws.id, owner.id, [raced]);
    try {
      const request = owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [raced, other], role: 'user' });
      const blocked = await waitFor(
        async () => (await count(t, sql`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%insert into "invitations"%'`)) === 1,
        10_000,
      );
      expect(blocked, 'the request should be waiting on the uncommitted invitation').toBe(true);
      await holder.query('commit');
      const res = await request;
      expect(res.statusCode, res.body).toBe(201);
      expect(json(res).created.map((c: { email: string }) => c.email)).toEqual([other]);
      expect(json(res).skipped).toEqual([{ email: raced, reason: 'already_pending' }]);
      expect(await count(t, sql`select count(*) as n from invitations where workspace_id = ${ws.id} and email = ${raced}`)).toBe(1);
      // Only the second run's writes exist: one event and one mail, for `other`.
      expect(await count(t, sql`select count(*) as n from activity_events where workspace_id = ${ws.id} and type = 'invitation.created'`)).toBe(1);
      expect(await count(t, sql`select count(*) as n from outbox o join invitations i on i.id = (o.payload->>'invitationId')::uuid where i.workspace_id = ${ws.id}`)).toBe(1);
    } finally {
      await holder.end();
    }
  });

  it('T-CONC-02: direct inserts that bypass the services violate database constraints', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Constraints');
    const member = await addMember(t, owner, ws.id, 'user');
    const pendingEmail = uniqueEmail('pending');
    const res = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails: [pendingEmail], role: 'user' });
    expect(res.statusCode, res.body).toBe(201);
    const now = new Date().toISOString();

    // Positive control: the same statement shape succeeds for a fresh user / address.
    const fresh = await createUser(t);
    expect(await sqlError(t, sql`insert into members (id, workspace_id, user_id, role, type, status, created_at, updated_at)
      values (${randomUUID()}, ${ws.id}, ${fresh.id}, 'user', 'member', 'active', ${now}, ${now})`)).toBeNull();

    // A second membership for the same (workspace, user), even a removed one.
    expect(
      await sqlError(t, sql`insert into members (id, workspace_id, user_id, role, type, status, created_at, updated_at)
        values (${randomUUID()}, ${ws.id}, ${member.id}, 'admin', 'member', 'removed', ${now}, ${now})`),
    ).toEqual({ code: '23505', constraint: 'members_workspace_user_uq' });

    // A second pending invitation for the same (workspace, canonical email): copy the live row with a new id and token.
    const copyInvitation = (email: string) => sql`insert into invitations (id, workspace_id, email, email_display, role, type, location_ids, inviter_user_id, status, expires_at, token_hash, token_nonce, resend_count, last_sent_at, created_at, updated_at)
        select ${randomUUID()}, workspace_id, ${email}, email_display, role, type, location_ids, inviter_user_id, 'pending', expires_at, md5(random()::text), token_nonce, 0, last_sent_at, created_at, updated_at
        from invitations where workspace_id = ${ws.id} and email = ${pendingEmail}`;
    expect(await sqlError(t, copyInvitation(pendingEmail))).toEqual({ code: '23505', constraint: 'invitations_one_pending_uq' });
    expect(await sqlError(t, copyInvitation(uniqueEmail('other')))).toBeNull(); // control: another address is fine

    // A second active owner.
    expect(
      await sqlError(t, sql`update members set role = 'owner' where workspace_id = ${ws.id} and user_id = ${member.id}`),
    ).toEqual({ code: '23505', constraint: 'members_one_owner_uq' });
    expect(
      await sqlError(t, sql`insert into members (id, workspace_id, user_id, role, type, status, created_at, updated_at)
        values (${randomUUID()}, ${ws.id}, ${(await createUser(t)).id}, 'owner', 'member', 'active', ${now}, ${now})`),
    ).toEqual({ code: '23505', constraint: 'members_one_owner_uq' });

    // Nothing of the refused statements stuck.
    expect(await count(t, sql`select count(*) as n from members where workspace_id = ${ws.id} and role = 'owner' and status = 'active'`)).toBe(1);
    expect(await count(t, sql`select count(*) as n from members where workspace_id = ${ws.id} and user_id = ${member.id}`)).toBe(1);
    expect(await count(t, sql`select count(*) as n from invitations where workspace_id = ${ws.id} and email = ${pendingEmail}`)).toBe(1);
  });
});
