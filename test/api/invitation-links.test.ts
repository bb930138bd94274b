import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, SECOND } from '../../src/app/context.js';
import { activityEvents, members, users } from '../../src/db/schema/index.js';
import { caller, createTestApp, json, type Res, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, invite, PASSWORD, sessionCookieOf, signIn, uniqueEmail } from '../factories.js';
import { anon, bulk, fromIp, getInvitation, invitationRow, listAll, newTokenFor } from './invitation-helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const STRONG = 'a perfectly long passphrase 42';
const withoutRequestId = (res: Res) => {
  const { requestId: _ignored, ...rest } = json(res);
  return rest;
};

async function membershipsOf(userId: string, workspaceId: string) {
  return t.deps.db.select().from(members).where(and(eq(members.userId, userId), eq(members.workspaceId, workspaceId)));
}

async function me(cookie: string) {
  const res = await caller(t.app, cookie).get('/api/me');
  expect(res.statusCode, res.body).toBe(200);
  return json(res);
}

describe('preview: GET /api/invitations/{token}', () => {
  it('T-RATE-05: shows only workspace, inviter, role, type, expiry and a masked address; Referrer-Policy: no-referrer', async () => {
    const owner = await createUser(t, { name: 'Olivia Owner' });
    const ws = await createWorkspace(owner, 'Preview Co');
    const email = uniqueEmail('preview');
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'user');
    const res = await anon(t).get(`/api/invitations/${token}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(['emailHint', 'expiresAt', 'inviterName', 'role', 'signedInEmailMatches', 'type', 'workspaceName']);
    const local = email.split('@')[0]!;
    expect(body).toEqual({
      workspaceName: 'Preview Co',
      inviterName: 'Olivia Owner',
      role: 'user',
      type: 'member',
      expiresAt: (await getInvitation(owner, ws.id, invitationId)).expiresAt,
      emailHint: `${local[0]}${'•'.repeat(6)}@example.test`,
      signedInEmailMatches: null,
    });
    for (const secret of [email, local, owner.email, ws.id, invitationId, token]) expect(res.body).not.toContain(secret);

    // Signed in, the page learns only whether this invitation is theirs.
    const invitee = await createUser(t, { email });
    const stranger = await createUser(t);
    expect(json(await invitee.api.get(`/api/invitations/${token}`)).signedInEmailMatches).toBe(true);
    expect(json(await stranger.api.get(`/api/invitations/${token}`)).signedInEmailMatches).toBe(false);

    // Gone links keep the header too.
    expect((await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${invitationId}`)).statusCode).toBe(204);
    const gone = await anon(t).get(`/api/invitations/${token}`);
    expectProblem(gone, 410, 'invitation_revoked');
    expect(gone.headers['referrer-policy']).toBe('no-referrer');
    expect(gone.body).not.toContain(token);
  });

  it('unknown tokens (random, short, long) → 404 invitation_not_found with an identical body apart from requestId', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Unknown Co');
    const { token } = await invite(t, owner, ws.id, uniqueEmail('known'));
    const user = await createUser(t);
    const candidates = [randomBytes(32).toString('base64url'), 'abc', 'a'.repeat(300), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, 'short.token~with!chars'];
    const bodies: unknown[] = [];
    for (const candidate of candidates) {
      const enc = encodeURIComponent(candidate);
      const preview = await anon(t).get(`/api/invitations/${enc}`);
      expectProblem(preview, 404, 'invitation_not_found');
      // The token is never echoed (the random requestId may contain any short string by chance).
      expect(JSON.stringify(withoutRequestId(preview))).not.toContain(candidate);
      bodies.push({ kind: 'preview', ...withoutRequestId(preview) });
      const decline = await anon(t).post(`/api/invitations/${enc}/decline`);
      expectProblem(decline, 404, 'invitation_not_found');
      bodies.push({ kind: 'decline', ...withoutRequestId(decline) });
      const accept = await user.api.post(`/api/invitations/${enc}/accept`);
      expectProblem(accept, 404, 'invitation_not_found');
      bodies.push({ kind: 'accept', ...withoutRequestId(accept) });
    }
    for (const kind of ['preview', 'decline', 'accept']) {
      const group = bodies.filter((b: any) => b.kind === kind);
      for (const b of group) expect(b).toEqual(group[0]);
    }
    // Positive control: the real token still previews.
    expect((await anon(t).get(`/api/invitations/${token}`)).statusCode).toBe(200);
  });
});

describe('gone links: declined, used (T-INV-03, T-INV-05)', () => {
  it('decline needs no sign-in; afterwards every link use answers 410 invitation_declined and the inviter sees `declined`', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Decline Co');
    const email = uniqueEmail('decliner');
    const { invitationId, token } = await invite(t, owner, ws.id, email);
    const invitee = await createUser(t, { email });

    const res = await anon(t).post(`/api/invitations/${token}/decline`);
    expect(res.statusCode, res.body).toBe(204);
    expectProblem(await anon(t).get(`/api/invitations/${token}`), 410, 'invitation_declined');
    expectProblem(await anon(t).post(`/api/invitations/${token}/decline`), 410, 'invitation_declined');
    expectProblem(await invitee.api.post(`/api/invitations/${token}/accept`), 410, 'invitation_declined');
    expect(await membershipsOf(invitee.id, ws.id)).toHaveLength(0);
    const seen = await getInvitation(owner, ws.id, invitationId);
    expect(seen.status).toBe('declined');
    expect(seen.respondedAt).not.toBeNull();
  });

  it('T-INV-03: a used token is single use: 410 invitation_used for the invitee, another account and anon; one membership, one event', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Used Co');
    const email = uniqueEmail('used');
    const invitee = await createUser(t, { email });
    const outsider = await createUser(t);
    const { invitationId, token } = await invite(t, owner, ws.id, email);

    expectProblem(await anon(t).post(`/api/invitations/${token}/accept`), 401, 'unauthenticated'); // accept needs sign-in
    expect((await invitationRow(t, invitationId))!.status).toBe('pending');
    const first = await invitee.api.post(`/api/invitations/${token}/accept`);
    expect(first.statusCode, first.body).toBe(200);

    expectProblem(await invitee.api.post(`/api/invitations/${token}/accept`), 410, 'invitation_used');
    expectProblem(await outsider.api.post(`/api/invitations/${token}/accept`), 410, 'invitation_used');
    expectProblem(await anon(t).get(`/api/invitations/${token}`), 410, 'invitation_used');
    expectProblem(await anon(t).post(`/api/invitations/${token}/decline`), 410, 'invitation_used');
    expect(await membershipsOf(invitee.id, ws.id)).toHaveLength(1);
    expect(await membershipsOf(outsider.id, ws.id)).toHaveLength(0);
    const [joined] = await t.deps.db
      .select({ n: sql<number>`count(*)::int` })
      .from(activityEvents)
      .where(and(eq(activityEvents.workspaceId, ws.id), eq(activityEvents.type, 'member.joined'), eq(activityEvents.targetUserId, invitee.id)));
    expect(Number(joined!.n)).toBe(1);
    expect((await getInvitation(owner, ws.id, invitationId)).status).toBe('accepted');
  });
});

describe('accept: POST /api/invitations/{token}/accept', () => {
  it('an existing signed-in user with the same email becomes a member with role and locations; the email becomes verified', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Accept Co');
    const loc = json(await owner.api.post(`/api/workspaces/${ws.id}/locations`, { name: 'North' }));
    const email = uniqueEmail('joiner');
    const invitee = await createUser(t, { email, verified: false });
    expect((await me(invitee.cookie)).user.emailVerified).toBe(false);
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'user', { locationIds: [loc.id] });

    const res = await invitee.api.post(`/api/invitations/${token}/accept`);
    expect(res.statusCode, res.body).toBe(200);
    const body = json(res);
    expect(body.workspaceId).toBe(ws.id);
    const member = json(await owner.api.get(`/api/workspaces/${ws.id}/members/${body.memberId}`));
    expect(member).toMatchObject({ userId: invitee.id, role: 'user', type: 'member', status: 'active', locations: [{ id: loc.id, name: 'North' }] });
    const profile = await me(invitee.cookie);
    expect(profile.user.emailVerified).toBe(true);
    expect(profile.workspaces).toContainEqual(expect.objectContaining({ id: ws.id, role: 'user' }));
    expect((await getInvitation(owner, ws.id, invitationId)).status).toBe('accepted');
  });

  it('T-BIND-04: an invitation typed as ` Name@Example.COM ` is accepted by the account name@example.com', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Case Co');
    const email = uniqueEmail('casey');
    const typed = `  ${email.replace('casey', 'Casey').replace('example.test', 'Example.TEST')} `;
    const invitee = await createUser(t, { email });
    const res = await bulk(owner, ws.id, [typed], 'admin');
    expect(res.statusCode, res.body).toBe(201);
    expect(json(res).created[0].email).toBe(typed.trim());
    const token = await newTokenFor(t, email, []);
    const accepted = await invitee.api.post(`/api/invitations/${token}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/members/${json(accepted).memberId}`)).role).toBe('admin');
  });

  it('T-BIND-01: another signed-in account → 403 email_mismatch, no membership, and the owner of the address can still accept', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Mismatch Co');
    const alice = await createUser(t, { email: uniqueEmail('alice') });
    const bob = await createUser(t, { email: uniqueEmail('bob') });
    const { invitationId, token } = await invite(t, owner, ws.id, alice.email, 'admin');

    expectProblem(await bob.api.post(`/api/invitations/${token}/accept`), 403, 'email_mismatch');
    expect(await membershipsOf(bob.id, ws.id)).toHaveLength(0);
    expectProblem(await bob.api.get(`/api/workspaces/${ws.id}`), 404, 'not_found');
    expect((await getInvitation(owner, ws.id, invitationId)).status).toBe('pending');

    const ok = await alice.api.post(`/api/invitations/${token}/accept`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await membershipsOf(alice.id, ws.id)).toHaveLength(1);
  });

  it('T-INV-09: the token decides the workspace, never the URL or the body', async () => {
    const owner = await createUser(t);
    const wsA = await createWorkspace(owner, 'Workspace A');
    const wsB = await createWorkspace(owner, 'Workspace B');
    const invitee = await createUser(t);
    const { token } = await invite(t, owner, wsA.id, invitee.email, 'user');

    // No accept route under a workspace: that path only takes GET/DELETE (an invitation id).
    expectProblem(await invitee.api.post(`/api/workspaces/${wsB.id}/invitations/accept`, { token }), 405, 'method_not_allowed');
    expectProblem(await invitee.api.post(`/api/workspaces/${wsB.id}/invitations/${token}/accept`), 404, 'not_found');
    const res = await invitee.api.post(`/api/invitations/${token}/accept`, { workspaceId: wsB.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).workspaceId).toBe(wsA.id);
    expect(await membershipsOf(invitee.id, wsA.id)).toHaveLength(1);
    expect(await membershipsOf(invitee.id, wsB.id)).toHaveLength(0);
    expectProblem(await invitee.api.get(`/api/workspaces/${wsB.id}`), 404, 'not_found');
  });

  it('already an active member → 409 already_member, and the invitation is closed (410 invitation_used)', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Twice Co');
    expect((await owner.api.patch(`/api/workspaces/${ws.id}`, { inviteExpiryDays: 1 })).statusCode).toBe(200);
    const invitee = await createUser(t);
    const first = await invite(t, owner, ws.id, invitee.email, 'user');
    t.clock.advance(DAY + SECOND); // the first invitation expires…
    const second = await invite(t, owner, ws.id, invitee.email, 'user'); // …so a second one can be sent
    const joined = await invitee.api.post(`/api/invitations/${second.token}/accept`);
    expect(joined.statusCode, joined.body).toBe(200);
    // The expired first invitation is resent (expired → pending) although they joined meanwhile.
    const resent = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${first.invitationId}/resend`);
    expect(resent.statusCode, resent.body).toBe(200);
    const token = await newTokenFor(t, invitee.email, [first.token, second.token]);

    expectProblem(await invitee.api.post(`/api/invitations/${token}/accept`), 409, 'already_member');
    expectProblem(await anon(t).get(`/api/invitations/${token}`), 410, 'invitation_used');
    expectProblem(await invitee.api.post(`/api/invitations/${token}/accept`), 410, 'invitation_used');
    expect((await getInvitation(owner, ws.id, first.invitationId)).status).toBe('accepted');
    const rows = await membershipsOf(invitee.id, ws.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(json(joined).memberId);
  });

  it('T-ROLE-02: inviter removed before acceptance → 409 inviter_not_permitted; invitation stays usable after an admin resends it', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Removed Inviter');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const carol = await createUser(t);
    const { invitationId, token } = await invite(t, admin, ws.id, carol.email, 'user');
    expect((await owner.api.delete(`/api/workspaces/${ws.id}/members/${admin.memberId}`)).statusCode).toBe(204);

    expectProblem(await carol.api.post(`/api/invitations/${token}/accept`), 409, 'inviter_not_permitted');
    expect(await membershipsOf(carol.id, ws.id)).toHaveLength(0);
    expect((await invitationRow(t, invitationId))!.status).toBe('pending');
    expect((await anon(t).get(`/api/invitations/${token}`)).statusCode).toBe(200);

    // Positive control: resent by the owner (who may grant `user`), the new link works.
    t.clock.advance(61 * SECOND);
    const resent = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${invitationId}/resend`);
    expect(resent.statusCode, resent.body).toBe(200);
    expect(json(resent).inviter.id).toBe(owner.id);
    const fresh = await newTokenFor(t, carol.email, [token]);
    const ok = await carol.api.post(`/api/invitations/${fresh}/accept`);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('T-ROLE-02: inviter demoted below the role → 409 inviter_not_permitted; roles they may still grant work', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Demoted Inviter');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const erin = await createUser(t);
    const frank = await createUser(t);
    const gina = await createUser(t);
    const { token: erinToken } = await invite(t, admin, ws.id, erin.email, 'admin');
    const { token: frankToken } = await invite(t, admin, ws.id, frank.email, 'user');
    const { token: ginaToken } = await invite(t, admin, ws.id, gina.email, 'guest');
    const demote = await owner.api.patch(`/api/workspaces/${ws.id}/members/${admin.memberId}`, { role: 'user' });
    expect(demote.statusCode, demote.body).toBe(200);

    expectProblem(await erin.api.post(`/api/invitations/${erinToken}/accept`), 409, 'inviter_not_permitted');
    expectProblem(await frank.api.post(`/api/invitations/${frankToken}/accept`), 409, 'inviter_not_permitted');
    expect(await membershipsOf(erin.id, ws.id)).toHaveLength(0);
    expect(await membershipsOf(frank.id, ws.id)).toHaveLength(0);
    // A `user` may still invite guests, so that invitation stands.
    const ok = await gina.api.post(`/api/invitations/${ginaToken}/accept`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/members/${json(ok).memberId}`))).toMatchObject({ role: 'guest', type: 'guest' });
  });

  it('T-ROLE-02: an owner who transferred ownership can no longer grant super_admin through an earlier invitation', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Transferred');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const hal = await createUser(t);
    const { invitationId, token } = await invite(t, owner, ws.id, hal.email, 'super_admin');
    const transfer = await owner.api.post(`/api/workspaces/${ws.id}/transfer-ownership`, { memberId: admin.memberId });
    expect(transfer.statusCode, transfer.body).toBe(204);

    expectProblem(await hal.api.post(`/api/invitations/${token}/accept`), 409, 'inviter_not_permitted');
    expect(await membershipsOf(hal.id, ws.id)).toHaveLength(0);

    t.clock.advance(61 * SECOND);
    const resent = await admin.api.post(`/api/workspaces/${ws.id}/invitations/${invitationId}/resend`); // the new owner
    expect(resent.statusCode, resent.body).toBe(200);
    const ok = await hal.api.post(`/api/invitations/${await newTokenFor(t, hal.email, [token])}/accept`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json(await admin.api.get(`/api/workspaces/${ws.id}/members/${json(ok).memberId}`)).role).toBe('super_admin');
  });
});

describe('newcomer: POST /api/auth/sign-up with invitationToken', () => {
  it('201 with a session cookie, the membership and a verified email', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Newcomer Co');
    const email = uniqueEmail('newbie');
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'admin');

    const res = await anon(t).post('/api/auth/sign-up', { password: STRONG, name: 'New Comer', invitationToken: token });
    expect(res.statusCode, res.body).toBe(201);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/gh_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const body = json(res);
    expect(body.user).toMatchObject({ email, name: 'New Comer', emailVerified: true });
    expect(body.workspaceId).toBe(ws.id);
    const profile = await me(sessionCookieOf(res));
    expect(profile.workspaces).toContainEqual(expect.objectContaining({ id: ws.id, role: 'admin' }));
    expect((await getInvitation(owner, ws.id, invitationId)).status).toBe('accepted');
    expect(json(await owner.api.get(`/api/workspaces/${ws.id}/members/${body.memberId}`))).toMatchObject({ email, role: 'admin', status: 'active' });
    await signIn(t, email, STRONG); // the password works

    // Single use: a second sign-up with the same token is refused.
    expectProblem(await anon(t).post('/api/auth/sign-up', { password: STRONG, name: 'Again', invitationToken: token }), 410, 'invitation_used');
  });

  it('T-BIND-02: an `email` different from the invitation → 403 email_mismatch and no account; the same address in other case is fine', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Bind Co');
    const email = uniqueEmail('carol');
    const mallory = uniqueEmail('mallory');
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'user');

    expectProblem(await anon(t).post('/api/auth/sign-up', { email: mallory, password: STRONG, name: 'Mallory', invitationToken: token }), 403, 'email_mismatch');
    expect(await t.deps.db.select().from(users).where(eq(users.email, mallory))).toHaveLength(0);
    expect(await t.deps.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
    expect((await invitationRow(t, invitationId))!.status).toBe('pending');

    const ok = await anon(t).post('/api/auth/sign-up', { email: email.toUpperCase(), password: STRONG, name: 'Carol', invitationToken: token });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json(ok).user.email).toBe(email);
  });

  it('T-BIND-03: an existing account → 409 account_exists_login_required (same answer whatever the password); password and sessions untouched', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Exists Co');
    const dave = await createUser(t);
    const { invitationId, token } = await invite(t, owner, ws.id, dave.email, 'user');
    const [before] = await t.deps.db.select().from(users).where(eq(users.id, dave.id));

    const withNew = await anon(t).post('/api/auth/sign-up', { password: STRONG, name: 'Not Dave', invitationToken: token });
    expectProblem(withNew, 409, 'account_exists_login_required');
    const withSame = await anon(t).post('/api/auth/sign-up', { password: PASSWORD, name: 'Dave', invitationToken: token });
    expectProblem(withSame, 409, 'account_exists_login_required');
    expect(withoutRequestId(withSame)).toEqual(withoutRequestId(withNew));
    expect(withNew.headers['set-cookie']).toBeUndefined();

    const [after] = await t.deps.db.select().from(users).where(eq(users.id, dave.id));
    expect(after!.passwordHash).toBe(before!.passwordHash);
    expect(after!.name).toBe(before!.name);
    expectProblem(await anon(t).post('/api/auth/sign-in', { email: dave.email, password: STRONG }), 401, 'invalid_credentials');
    await signIn(t, dave.email, PASSWORD);
    expect((await dave.api.get('/api/me')).statusCode).toBe(200); // existing session still valid
    expect((await invitationRow(t, invitationId))!.status).toBe('pending');

    // Signed in, Dave accepts normally.
    expect((await dave.api.post(`/api/invitations/${token}/accept`)).statusCode).toBe(200);
  });

  it('a weak password → 422 weak_password and the invitation stays pending', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Weak Co');
    const email = uniqueEmail('weak');
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'user');
    expectProblem(await anon(t).post('/api/auth/sign-up', { password: 'short', name: 'Weak', invitationToken: token }), 422, 'weak_password');
    expectProblem(await anon(t).post('/api/auth/sign-up', { password: 'aaaaaaaaaaaaaaaa', name: 'Weak', invitationToken: token }), 422, 'weak_password');
    expect((await invitationRow(t, invitationId))!.status).toBe('pending');
    expect(await t.deps.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
    expect((await anon(t).get(`/api/invitations/${token}`)).statusCode).toBe(200);
    const ok = await anon(t).post('/api/auth/sign-up', { password: STRONG, name: 'Strong', invitationToken: token });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('an unknown or revoked token is refused before any account is created', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Revoked Signup');
    const email = uniqueEmail('revsign');
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'user');
    expectProblem(await anon(t).post('/api/auth/sign-up', { password: STRONG, name: 'X', invitationToken: randomBytes(32).toString('base64url') }), 404, 'invitation_not_found');
    expect((await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${invitationId}`)).statusCode).toBe(204);
    expectProblem(await anon(t).post('/api/auth/sign-up', { password: STRONG, name: 'X', invitationToken: token }), 410, 'invitation_revoked');
    expect(await t.deps.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
  });
});

describe('inbox: /api/me/invitations', () => {
  it('T-BIND-07: an unverified email → 403 email_not_verified; accepting with the emailed token works and verifies', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Inbox Unverified');
    const frank = await createUser(t, { verified: false });
    const { invitationId, token } = await invite(t, owner, ws.id, frank.email, 'user');

    expectProblem(await frank.api.get('/api/me/invitations'), 403, 'email_not_verified');
    expectProblem(await frank.api.post(`/api/me/invitations/${invitationId}/accept`), 403, 'email_not_verified');
    expectProblem(await frank.api.post(`/api/me/invitations/${invitationId}/decline`), 403, 'email_not_verified');
    expect(await membershipsOf(frank.id, ws.id)).toHaveLength(0);
    expect((await invitationRow(t, invitationId))!.status).toBe('pending');

    expect((await frank.api.post(`/api/invitations/${token}/accept`)).statusCode).toBe(200);
    expect((await me(frank.cookie)).user.emailVerified).toBe(true);
    const inbox = await frank.api.get('/api/me/invitations');
    expect(inbox.statusCode, inbox.body).toBe(200);
    expect(json(inbox).items).toEqual([]);
  });

  it('a verified email lists pending invitations across workspaces; accept joins, decline declines; others’ ids → 404', async () => {
    const o1 = await createUser(t, { name: 'Owner One' });
    const o2 = await createUser(t, { name: 'Owner Two' });
    const ws1 = await createWorkspace(o1, 'Inbox One');
    const ws2 = await createWorkspace(o2, 'Inbox Two');
    const ws3 = await createWorkspace(o2, 'Inbox Three');
    const gail = await createUser(t);
    const other = await createUser(t);
    const { invitationId: i1 } = await invite(t, o1, ws1.id, gail.email, 'user');
    const { invitationId: i2 } = await invite(t, o2, ws2.id, gail.email, 'guest');
    const { invitationId: i3 } = await invite(t, o2, ws3.id, gail.email, 'admin');
    const { invitationId: revoked } = await invite(t, o1, ws1.id, uniqueEmail('x'));
    const { invitationId: othersId } = await invite(t, o1, ws1.id, other.email, 'user');
    expect((await o1.api.delete(`/api/workspaces/${ws1.id}/invitations/${revoked}`)).statusCode).toBe(204);

    const res = await gail.api.get('/api/me/invitations');
    expect(res.statusCode, res.body).toBe(200);
    const items = json(res).items as any[];
    expect(items.map((i) => i.id).sort()).toEqual([i1, i2, i3].sort());
    expect(items.find((i) => i.id === i2)).toMatchObject({ workspaceId: ws2.id, workspaceName: 'Inbox Two', inviterName: 'Owner Two', role: 'guest', type: 'guest' });
    expect(res.body).not.toMatch(/\/invite\/|token/i);

    expectProblem(await gail.api.post(`/api/me/invitations/${othersId}/accept`), 404, 'not_found');
    expectProblem(await gail.api.post(`/api/me/invitations/${othersId}/decline`), 404, 'not_found');
    expectProblem(await gail.api.post('/api/me/invitations/00000000-0000-4000-8000-000000000000/accept'), 404, 'not_found');
    expect((await invitationRow(t, othersId))!.status).toBe('pending');
    expect(await membershipsOf(gail.id, ws1.id)).toHaveLength(0);

    const accepted = await gail.api.post(`/api/me/invitations/${i1}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json(accepted).workspaceId).toBe(ws1.id);
    expect(json(await o1.api.get(`/api/workspaces/${ws1.id}/members/${json(accepted).memberId}`))).toMatchObject({ userId: gail.id, role: 'user' });
    const declined = await gail.api.post(`/api/me/invitations/${i3}/decline`);
    expect(declined.statusCode, declined.body).toBe(204);
    expect((await getInvitation(o2, ws3.id, i3)).status).toBe('declined');
    expect(await membershipsOf(gail.id, ws3.id)).toHaveLength(0);
    expectProblem(await gail.api.post(`/api/me/invitations/${i1}/accept`), 410, 'invitation_used');
    expectProblem(await gail.api.post(`/api/me/invitations/${i3}/accept`), 410, 'invitation_declined');

    expect(json(await gail.api.get('/api/me/invitations')).items.map((i: any) => i.id)).toEqual([i2]);
    // The other invitee's invitation is untouched and theirs to accept.
    expect((await other.api.post(`/api/me/invitations/${othersId}/accept`)).statusCode).toBe(200);
  });
});

describe('T-INV-04: expiry is decided by the server clock at redemption', () => {
  it('at expiresAt − 1 s accept works; at expiresAt + 1 s every use answers 410 invitation_expired', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Clock Co');
    const a = await createUser(t);
    const b = await createUser(t);
    const first = await invite(t, owner, ws.id, a.email, 'user');
    const second = await invite(t, owner, ws.id, b.email, 'user');
    const expiresAt = new Date((await getInvitation(owner, ws.id, first.invitationId)).expiresAt).getTime();
    expect(expiresAt - t.clock.now().getTime()).toBe(7 * DAY);

    t.clock.set(new Date(expiresAt - SECOND));
    const a2 = await signIn(t, a.email); // a week later the old sessions have idled out
    const ok = await a2.api.post(`/api/invitations/${first.token}/accept`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await anon(t).get(`/api/invitations/${second.token}`)).statusCode).toBe(200);

    t.clock.advance(2 * SECOND);
    const b2 = await signIn(t, b.email);
    expectProblem(await anon(t).get(`/api/invitations/${second.token}`), 410, 'invitation_expired');
    expectProblem(await b2.api.post(`/api/invitations/${second.token}/accept`), 410, 'invitation_expired');
    expectProblem(await anon(t).post(`/api/invitations/${second.token}/decline`), 410, 'invitation_expired');
    expectProblem(await anon(t).post('/api/auth/sign-up', { password: STRONG, name: 'Late', invitationToken: second.token }), 410, 'invitation_expired');
    expect(await membershipsOf(b.id, ws.id)).toHaveLength(0);
    const owner2 = await signIn(t, owner.email);
    expect((await getInvitation(owner2, ws.id, second.invitationId)).status).toBe('expired');
    expect((await listAll(owner2, ws.id, 'status=expired')).map((i) => i.id)).toEqual([second.invitationId]);
  });
});

describe('T-INV-10: rate limit on token endpoints', () => {
  let rt: TestApp;
  beforeAll(async () => {
    rt = await createTestApp({ config: { RATE_LIMIT_TOKEN_LOOKUPS_PER_IP: '5' } });
  });
  afterAll(() => rt.close());

  it('429 with Retry-After after the threshold; another client still works; the invitation is not locked', async () => {
    const owner = await createUser(rt);
    const ws = await createWorkspace(owner, 'Guessed Co');
    const invitee = await createUser(rt);
    const { invitationId, token } = await invite(rt, owner, ws.id, invitee.email, 'user');
    const attacker = '203.0.113.7';

    for (let i = 0; i < 5; i++) {
      expectProblem(await fromIp(rt, attacker, 'GET', `/api/invitations/${randomBytes(32).toString('base64url')}`), 404, 'invitation_not_found');
    }
    const limited = await fromIp(rt, attacker, 'GET', `/api/invitations/${randomBytes(32).toString('base64url')}`);
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectProblem(await fromIp(rt, attacker, 'GET', `/api/invitations/${token}`), 429, 'rate_limited');

    for (let i = 0; i < 5; i++) {
      expectProblem(await fromIp(rt, attacker, 'POST', `/api/invitations/${randomBytes(32).toString('base64url')}/accept`, invitee.cookie), 404, 'invitation_not_found');
    }
    expectProblem(await fromIp(rt, attacker, 'POST', `/api/invitations/${token}/accept`, invitee.cookie), 429, 'rate_limited');
    expect(await rt.deps.db.select().from(members).where(and(eq(members.userId, invitee.id), eq(members.workspaceId, ws.id)))).toHaveLength(0);

    // Another client is unaffected; the invitation is neither locked nor consumed.
    const preview = await fromIp(rt, '198.51.100.9', 'GET', `/api/invitations/${token}`);
    expect(preview.statusCode, preview.body).toBe(200);
    expect((await invitationRow(rt, invitationId))!.status).toBe('pending');
    rt.clock.advance(61 * SECOND);
    const resent = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${invitationId}/resend`);
    expect(resent.statusCode, resent.body).toBe(200);
    const fresh = await newTokenFor(rt, invitee.email, [token]);
    const ok = await fromIp(rt, '198.51.100.9', 'POST', `/api/invitations/${fresh}/accept`, invitee.cookie);
    expect(ok.statusCode, ok.body).toBe(200);
  });
});
