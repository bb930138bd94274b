import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR, SECOND } from '../../src/app/context.js';
import { activityEvents, devMailbox, invitations, outbox, supersededInvitationTokens } from '../../src/db/schema/index.js';
import { hashToken } from '../../src/lib/crypto.js';
import { createTestApp, json, type Res, type TestApp } from '../helpers/app.js';
import { addMember, createUser, createWorkspace, expectProblem, invite, mailsTo, uniqueEmail } from '../factories.js';
import {
  anon,
  bulk,
  devMailCount,
  fullWidth,
  getInvitation,
  invitationCount,
  invitationRow,
  invitationRowsFor,
  listAll,
  newTokenFor,
  outboxCount,
  outboxRowsFor,
} from './invitation-helpers.js';

const INVITATION_KEYS = ['abilities', 'createdAt', 'email', 'expiresAt', 'id', 'inviter', 'lastSentAt', 'locationIds', 'resendAvailableAt', 'resendCount', 'respondedAt', 'role', 'status', 'type'];

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const sortSkipped = (s: { email: string; reason: string }[]) => [...s].sort((a, b) => `${a.reason}|${a.email}`.localeCompare(`${b.reason}|${b.email}`));

describe('bulk invite: POST /api/workspaces/{id}/invitations', () => {
  it('T-INV-08 / T-BIND-04: one request reports every skip reason per row and creates the rest', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Bulk Co');
    const member = await addMember(t, owner, ws.id, 'user');
    const pendingEmail = uniqueEmail('pending');
    await invite(t, owner, ws.id, pendingEmail, 'user');
    const patched = await owner.api.patch(`/api/workspaces/${ws.id}`, { allowedEmailDomains: ['example.test'] });
    expect(patched.statusCode, patched.body).toBe(200);

    const fresh = uniqueEmail('fresh');
    const [local, domain] = fresh.split('@') as [string, string];
    const typed = `  ${local[0]!.toUpperCase()}${local.slice(1)}@Example.TEST  `;
    const fresh2 = uniqueEmail('fresh2');
    const outsider = uniqueEmail('someone').replace('@example.test', '@other.test');
    const res = await bulk(owner, ws.id, [
      typed,
      fresh,
      fresh.toUpperCase(),
      `${fullWidth(local)}@${domain}`,
      'not-an-email',
      'a@b@c.test',
      'cr\r\nlf@example.test',
      'trailing-dot@example.test.',
      member.email,
      pendingEmail,
      outsider,
      fresh2,
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const body = json(res);
    expect(body.created.map((c: any) => c.email)).toEqual([typed.trim(), fresh2]);
    for (const c of body.created) {
      expect(Object.keys(c).sort()).toEqual(INVITATION_KEYS);
      expect(c).toMatchObject({ role: 'user', type: 'member', status: 'pending', resendCount: 0, locationIds: [], inviter: { id: owner.id, name: owner.name } });
    }
    expect(sortSkipped(body.skipped)).toEqual(
      sortSkipped([
        { email: fresh, reason: 'duplicate' },
        { email: fresh.toUpperCase(), reason: 'duplicate' },
        { email: `${fullWidth(local)}@${domain}`, reason: 'duplicate' },
        { email: 'not-an-email', reason: 'invalid' },
        { email: 'a@b@c.test', reason: 'invalid' },
        { email: 'cr\r\nlf@example.test', reason: 'invalid' },
        { email: 'trailing-dot@example.test.', reason: 'invalid' },
        { email: member.email, reason: 'already_member' },
        { email: pendingEmail, reason: 'already_pending' },
        { email: outsider, reason: 'domain_not_allowed' },
      ]),
    );

    // One pending row per canonical address, original spelling kept for display; one mail each.
    const rows = await invitationRowsFor(t, ws.id, fresh);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email: fresh, emailDisplay: typed.trim(), status: 'pending' });
    expect(await mailsTo(t, fresh)).toHaveLength(1);
    expect(await invitationRowsFor(t, ws.id, outsider)).toHaveLength(0);
    expect((await invitationRowsFor(t, ws.id, member.email)).map((r) => r.status)).toEqual(['accepted']); // the one they joined with
    expect(await invitationRowsFor(t, ws.id, pendingEmail)).toHaveLength(1);
    expect(await mailsTo(t, pendingEmail)).toHaveLength(1);

    // Inviting the same person again in another spelling is reported, not duplicated (T-INV-08).
    const again = await bulk(owner, ws.id, [fresh.toUpperCase()]);
    expect(again.statusCode, again.body).toBe(201);
    expect(json(again)).toEqual({ created: [], skipped: [{ email: fresh.toUpperCase(), reason: 'already_pending' }] });
    expect(await invitationRowsFor(t, ws.id, fresh)).toHaveLength(1);
    expect(await mailsTo(t, fresh)).toHaveLength(1);
  });

  it('T-BIND-04 / T-BIND-05: full-width and IDN spellings are one address; a Cyrillic look-alike is not', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Unicode Co');
    const id = uniqueEmail('x').slice(2, 10);
    const latin = `alice${id}@example.test`;
    const res = await bulk(owner, ws.id, [
      latin,
      `${fullWidth(`alice${id}`)}＠ｅｘａｍｐｌｅ．ｔｅｓｔ`,
      `ALICE${id}@EXAMPLE.TEST`,
      `\u0430lice${id}@example.test`, // Cyrillic а: rejected, never folded onto the Latin address
      `bob${id}@bücher.test`,
      `bob${id}@xn--bcher-kva.test`,
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const body = json(res);
    expect(body.created.map((c: any) => c.email)).toEqual([latin, `bob${id}@bücher.test`]);
    expect(sortSkipped(body.skipped)).toEqual(
      sortSkipped([
        { email: `${fullWidth(`alice${id}`)}＠ｅｘａｍｐｌｅ．ｔｅｓｔ`, reason: 'duplicate' },
        { email: `ALICE${id}@EXAMPLE.TEST`, reason: 'duplicate' },
        { email: `\u0430lice${id}@example.test`, reason: 'invalid' },
        { email: `bob${id}@xn--bcher-kva.test`, reason: 'duplicate' },
      ]),
    );
    expect(await invitationRowsFor(t, ws.id, `bob${id}@xn--bcher-kva.test`)).toHaveLength(1);
  });

  it('T-ROLE-01 (R-08/R-09): a role above the inviter refuses the WHOLE request and creates nothing', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Ceiling Co');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const superAdmin = await addMember(t, owner, ws.id, 'super_admin');
    const before = await invitationCount(t, ws.id);
    const a = uniqueEmail('ceil-a');
    const b = uniqueEmail('ceil-b');

    expectProblem(await bulk(admin, ws.id, [a, b], 'super_admin'), 403, 'role_ceiling');
    expectProblem(await bulk(superAdmin, ws.id, [a, b], 'super_admin'), 403, 'role_ceiling'); // only the owner makes super admins
    expectProblem(await bulk(admin, ws.id, [a, b], 'owner'), 400, 'validation_failed'); // ownership is never invitable
    expectProblem(await bulk(owner, ws.id, [a, b], 'owner'), 400, 'validation_failed');
    expect(await invitationCount(t, ws.id)).toBe(before);
    expect(await invitationRowsFor(t, ws.id, a)).toHaveLength(0);
    const [owners] = await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(invitations).where(eq(invitations.role, 'owner'));
    expect(Number(owners!.n)).toBe(0);

    // Positive controls: up to one's own level works; the owner may make super admins.
    const asAdmin = await bulk(admin, ws.id, [a], 'admin');
    expect(asAdmin.statusCode, asAdmin.body).toBe(201);
    expect(json(asAdmin).created).toHaveLength(1);
    const asSuper = await bulk(superAdmin, ws.id, [uniqueEmail('ceil-c')], 'admin');
    expect(asSuper.statusCode, asSuper.body).toBe(201);
    const asOwner = await bulk(owner, ws.id, [b], 'super_admin');
    expect(asOwner.statusCode, asOwner.body).toBe(201);
    expect(json(asOwner).created[0]).toMatchObject({ role: 'super_admin', type: 'member' });
  });

  it('who invites: `user` invites guests only; `login_only` and guests invite nobody', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Who Co');
    const user = await addMember(t, owner, ws.id, 'user');
    const loginOnly = await addMember(t, owner, ws.id, 'login_only');
    const guest = await addMember(t, owner, ws.id, 'guest');
    const before = await invitationCount(t, ws.id);
    const target = uniqueEmail('who');

    expectProblem(await bulk(user, ws.id, [target], 'user'), 403, 'forbidden');
    expectProblem(await bulk(user, ws.id, [target], 'login_only'), 403, 'forbidden');
    expectProblem(await bulk(user, ws.id, [target], 'admin'), 403, 'forbidden');
    expectProblem(await bulk(loginOnly, ws.id, [target], 'guest'), 403, 'forbidden');
    expectProblem(await bulk(loginOnly, ws.id, [target], 'user'), 403, 'forbidden');
    expectProblem(await bulk(guest, ws.id, [target], 'guest'), 403, 'forbidden');
    expect(await invitationCount(t, ws.id)).toBe(before);

    const ok = await bulk(user, ws.id, [target], 'guest');
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json(ok).created[0]).toMatchObject({ role: 'guest', type: 'guest', inviter: { id: user.id } });
  });

  it('guestInvitesAdminOnly: users may no longer invite guests, admins still may', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Guests Co');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const user = await addMember(t, owner, ws.id, 'user');
    expect((await owner.api.patch(`/api/workspaces/${ws.id}`, { guestInvitesAdminOnly: true })).statusCode).toBe(200);
    const target = uniqueEmail('guest');

    expectProblem(await bulk(user, ws.id, [target], 'guest'), 403, 'forbidden');
    expect(await invitationRowsFor(t, ws.id, target)).toHaveLength(0);
    const ok = await bulk(admin, ws.id, [target], 'guest');
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json(ok).created).toHaveLength(1);

    // Switched back off, the user may invite guests again.
    expect((await owner.api.patch(`/api/workspaces/${ws.id}`, { guestInvitesAdminOnly: false })).statusCode).toBe(200);
    const again = await bulk(user, ws.id, [uniqueEmail('guest2')], 'guest');
    expect(again.statusCode, again.body).toBe(201);
  });

  it('locationIds: unknown or foreign → 422 unknown_location; with an admin role → 422 unprocessable', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Loc Co');
    const other = await createUser(t);
    const otherWs = await createWorkspace(other, 'Other Loc Co');
    const loc = await owner.api.post(`/api/workspaces/${ws.id}/locations`, { name: 'Lab 1' });
    expect(loc.statusCode, loc.body).toBe(201);
    const foreign = await other.api.post(`/api/workspaces/${otherWs.id}/locations`, { name: 'Elsewhere' });
    expect(foreign.statusCode, foreign.body).toBe(201);
    const locId = json(loc).id as string;
    const target = uniqueEmail('loc');

    expectProblem(await bulk(owner, ws.id, [target], 'user', { locationIds: ['00000000-0000-4000-8000-000000000001'] }), 422, 'unknown_location');
    expectProblem(await bulk(owner, ws.id, [target], 'user', { locationIds: [locId, json(foreign).id] }), 422, 'unknown_location');
    expectProblem(await bulk(owner, ws.id, [target], 'admin', { locationIds: [locId] }), 422, 'unprocessable');
    expectProblem(await bulk(owner, ws.id, [target], 'user', { locationIds: ['not-a-uuid'] }), 400, 'validation_failed');
    expect(await invitationRowsFor(t, ws.id, target)).toHaveLength(0);

    const ok = await bulk(owner, ws.id, [target], 'user', { locationIds: [locId, locId] });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json(ok).created[0].locationIds).toEqual([locId]);
    const okGuest = await bulk(owner, ws.id, [uniqueEmail('locg')], 'guest', { locationIds: [locId] });
    expect(okGuest.statusCode, okGuest.body).toBe(201);
  });

  it('T-INV-14: more than 10,000 addresses → 400 as a whole, nothing created', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Huge Co');
    const emails = Array.from({ length: 10_001 }, (_, i) => `huge${i}@example.test`);
    expectProblem(await bulk(owner, ws.id, emails), 400, 'validation_failed');
    expectProblem(await bulk(owner, ws.id, []), 400, 'validation_failed');
    expect(await invitationCount(t, ws.id)).toBe(0);
  });

  it('T-INV-01: a bulk invite of 1,000 addresses creates 1,000 invitations and exactly one mail each; tokens are strong and distinct', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Thousand Co');
    const tag = uniqueEmail('k').slice(2, 10);
    const emails = Array.from({ length: 1000 }, (_, i) => `bulk${i}-${tag}@example.test`);
    const res = await bulk(owner, ws.id, emails);
    expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
    const body = json(res);
    expect(body.created).toHaveLength(1000);
    expect(body.skipped).toEqual([]);
    expect(res.body).not.toMatch(/\/invite\//);

    await t.worker.drain();
    const ids = body.created.map((c: any) => c.id as string);
    const rows = await t.deps.db.select().from(invitations).where(inArray(invitations.id, ids));
    expect(rows).toHaveLength(1000);
    const outboxRows = await t.deps.db.select().from(outbox).where(inArray(sql`${outbox.payload}->>'invitationId'`, ids));
    expect(outboxRows).toHaveLength(1000);
    expect(outboxRows.every((r) => r.status === 'done')).toBe(true);
    const mails = await t.deps.db.select().from(devMailbox).where(inArray(devMailbox.to, emails));
    expect(mails).toHaveLength(1000);
    expect(new Set(mails.map((m) => m.to)).size).toBe(1000);

    const tokenByEmail = new Map(mails.map((m) => [m.to, /\/invite\/([A-Za-z0-9_-]+)/.exec(m.text)![1]!]));
    const tokens = [...tokenByEmail.values()];
    expect(new Set(tokens).size).toBe(1000);
    for (const row of rows) {
      const token = tokenByEmail.get(row.email)!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/); // ≥ 256 bits, base64url
      expect(token).not.toContain(row.id);
      expect(token).not.toContain(row.id.replace(/-/g, ''));
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.tokenHash).toBe(hashToken(token));
      expect(row.tokenNonce).not.toBe(token);
    }
    expect(new Set(ids).size).toBe(1000);
  });
});

describe('limits (BULK_INVITE_MAX, INVITE_MAX_RESENDS)', () => {
  let lt: TestApp;
  beforeAll(async () => {
    lt = await createTestApp({ config: { BULK_INVITE_MAX: '3', INVITE_MAX_RESENDS: '2', INVITE_RESEND_COOLDOWN_SECONDS: '0' } });
  });
  afterAll(() => lt.close());

  it('T-INV-14: BULK_INVITE_MAX is respected (4 → 400, 3 → 201)', async () => {
    const owner = await createUser(lt);
    const ws = await createWorkspace(owner, 'Small Batches');
    const emails = [uniqueEmail('b1'), uniqueEmail('b2'), uniqueEmail('b3'), uniqueEmail('b4')];
    expectProblem(await bulk(owner, ws.id, emails), 400, 'validation_failed');
    expect(await invitationCount(lt, ws.id)).toBe(0);
    const ok = await bulk(owner, ws.id, emails.slice(0, 3));
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json(ok).created).toHaveLength(3);
  });

  it('T-RATE-06: INVITE_MAX_RESENDS → 429 resend_limit, no further mail, revoke still possible', async () => {
    const owner = await createUser(lt);
    const ws = await createWorkspace(owner, 'Resend Limit');
    const email = uniqueEmail('limit');
    const { invitationId } = await invite(lt, owner, ws.id, email);
    const url = `/api/workspaces/${ws.id}/invitations/${invitationId}/resend`;
    for (let i = 1; i <= 2; i++) {
      const r = await owner.api.post(url);
      expect(r.statusCode, r.body).toBe(200);
      expect(json(r).resendCount).toBe(i);
      await lt.worker.drain(); // else the earlier mail is skipped as superseded
    }
    const refused = await owner.api.post(url);
    expectProblem(refused, 429, 'resend_limit');
    expect(await mailsTo(lt, email)).toHaveLength(3);
    const detail = await getInvitation(owner, ws.id, invitationId);
    expect(detail).toMatchObject({ resendCount: 2, status: 'pending', abilities: { resend: false, revoke: true } });
    expect((await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${invitationId}`)).statusCode).toBe(204);
  });
});

describe('T-RATE-06 / T-INV-14: invite spam caps per inviter and per workspace', () => {
  let ct: TestApp;
  beforeAll(async () => {
    ct = await createTestApp({ config: { INVITES_PER_INVITER_PER_HOUR: '5', INVITES_PER_WORKSPACE_PER_HOUR: '8' } });
  });
  afterAll(() => ct.close());

  it('429 invite_limit with Retry-After, nothing created; after an hour it works again', async () => {
    const owner = await createUser(ct);
    const ws = await createWorkspace(owner, 'Capped');
    const admin = await addMember(ct, owner, ws.id, 'admin'); // owner: 1 this hour
    const emails = Array.from({ length: 12 }, (_, i) => uniqueEmail(`cap${i}`));

    const first = await bulk(owner, ws.id, emails.slice(0, 3)); // owner: 4
    expect(first.statusCode, first.body).toBe(201);
    const outboxBefore = await outboxCount(ct);
    const over = await bulk(owner, ws.id, emails.slice(3, 5)); // would be 6 > 5
    expectProblem(over, 429, 'invite_limit');
    expect(over.headers['retry-after']).toBe('3600');
    expect(json(over).retryAfter).toBe(3600);
    expect(await invitationCount(ct, ws.id)).toBe(4);
    expect(await outboxCount(ct)).toBe(outboxBefore);
    await ct.worker.drain();
    expect(await devMailCount(ct, emails[3]!)).toBe(0);

    // Skipped rows do not count: re-inviting pending addresses is not refused.
    const onlySkips = await bulk(owner, ws.id, emails.slice(0, 2));
    expect(onlySkips.statusCode, onlySkips.body).toBe(201);
    expect(json(onlySkips).skipped.map((s: any) => s.reason)).toEqual(['already_pending', 'already_pending']);
    const exactly = await bulk(owner, ws.id, [emails[3]!]); // owner: 5 = cap
    expect(exactly.statusCode, exactly.body).toBe(201);
    expectProblem(await bulk(owner, ws.id, [emails[4]!]), 429, 'invite_limit');

    // The workspace cap (8) binds another inviter too.
    const byAdmin = await bulk(admin, ws.id, emails.slice(5, 8)); // workspace: 8
    expect(byAdmin.statusCode, byAdmin.body).toBe(201);
    expectProblem(await bulk(admin, ws.id, [emails[8]!]), 429, 'invite_limit');
    expect(await invitationCount(ct, ws.id)).toBe(8);

    ct.clock.advance(HOUR + SECOND);
    const later = await bulk(owner, ws.id, emails.slice(8, 11));
    expect(later.statusCode, later.body).toBe(201);
    expect(json(later).created).toHaveLength(3);
    const laterAdmin = await bulk(admin, ws.id, [emails[11]!]);
    expect(laterAdmin.statusCode, laterAdmin.body).toBe(201);
  });
});

describe('list and get', () => {
  it('filters by status, type and q; keyset pages newest first', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'List Co');
    const tag = uniqueEmail('q').slice(2, 10);
    const mk = async (name: string, role = 'user') => {
      t.clock.advance(SECOND);
      return invite(t, owner, ws.id, `${name}-${tag}@example.test`, role);
    };
    const i1 = (await mk('ann')).invitationId;
    const i2 = (await mk('bea', 'guest')).invitationId;
    const i3 = (await mk('cid', 'admin')).invitationId;
    const i4 = (await mk('dan')).invitationId;
    const i5 = (await mk('eve')).invitationId;
    const fay = await mk('fay');
    const d5 = fay.invitationId;
    expect((await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${i4}`)).statusCode).toBe(204);
    expect((await anon(t).post(`/api/invitations/${fay.token}/decline`)).statusCode).toBe(204);

    const ids = (items: any[]) => items.map((i) => i.id);
    expect(ids(await listAll(owner, ws.id))).toEqual([d5, i5, i4, i3, i2, i1]);
    expect(ids(await listAll(owner, ws.id, 'status=pending'))).toEqual([i5, i3, i2, i1]);
    expect(ids(await listAll(owner, ws.id, 'status=revoked'))).toEqual([i4]);
    expect(ids(await listAll(owner, ws.id, 'status=declined'))).toEqual([d5]);
    expect(ids(await listAll(owner, ws.id, 'status=revoked,declined'))).toEqual([d5, i4]);
    expect(ids(await listAll(owner, ws.id, 'status=accepted'))).toEqual([]);
    expect((await listAll(owner, ws.id, 'status=declined'))[0]).toMatchObject({ status: 'declined', abilities: { resend: false, revoke: false } });
    expect(ids(await listAll(owner, ws.id, 'type=guest'))).toEqual([i2]);
    expect(ids(await listAll(owner, ws.id, 'type=member&status=pending'))).toEqual([i5, i3, i1]);
    expect(ids(await listAll(owner, ws.id, `q=cid-${tag}`))).toEqual([i3]);
    expect(ids(await listAll(owner, ws.id, 'q=CID'))).toEqual([i3]); // case-insensitive
    expect(ids(await listAll(owner, ws.id, 'q=%25'))).toEqual([]); // a literal %, not a wildcard
    expect(ids(await listAll(owner, ws.id, 'q=_'))).toEqual([]);
    expectProblem(await owner.api.get(`/api/workspaces/${ws.id}/invitations?status=bogus`), 400, 'validation_failed');

    // Keyset pages of 4: newest first, no overlap, no gap.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await owner.api.get(`/api/workspaces/${ws.id}/invitations?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = json(res);
      seen.push(...ids(page.items));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual([d5, i5, i4, i3, i2, i1]);
    expectProblem(await owner.api.get(`/api/workspaces/${ws.id}/invitations?cursor=garbage`), 400, 'validation_failed');

    // Detail
    const detail = await getInvitation(owner, ws.id, i3);
    expect(Object.keys(detail).sort()).toEqual(INVITATION_KEYS);
    expect(detail).toMatchObject({ id: i3, email: `cid-${tag}@example.test`, role: 'admin', type: 'member', status: 'pending', abilities: { resend: true, revoke: true } });
  });

  it('visibility: outsiders and foreign ids → 404, login_only members → 403, users may list', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Visible Co');
    const other = await createUser(t);
    const otherWs = await createWorkspace(other, 'Other Co');
    const { invitationId: foreignId } = await invite(t, other, otherWs.id, uniqueEmail('foreign'));
    const { invitationId } = await invite(t, owner, ws.id, uniqueEmail('mine'));
    const loginOnly = await addMember(t, owner, ws.id, 'login_only');
    const user = await addMember(t, owner, ws.id, 'user');

    expectProblem(await other.api.get(`/api/workspaces/${ws.id}/invitations`), 404, 'not_found');
    expectProblem(await other.api.get(`/api/workspaces/${ws.id}/invitations/${invitationId}`), 404, 'not_found');
    expectProblem(await owner.api.get(`/api/workspaces/${ws.id}/invitations/${foreignId}`), 404, 'not_found');
    expectProblem(await owner.api.get(`/api/workspaces/${ws.id}/invitations/00000000-0000-4000-8000-000000000000`), 404, 'not_found');
    expectProblem(await loginOnly.api.get(`/api/workspaces/${ws.id}/invitations`), 403, 'forbidden');
    expectProblem(await anon(t).get(`/api/workspaces/${ws.id}/invitations`), 401, 'unauthenticated');

    const asUser = await listAll(user, ws.id);
    const mine = asUser.find((i) => i.id === invitationId);
    expect(mine).toMatchObject({ abilities: { resend: false, revoke: false } }); // a user cannot manage member invites
    expect((await getInvitation(other, otherWs.id, foreignId)).id).toBe(foreignId);
  });

  it('T-INV-01 / T-INV-02: no token or link in any response, and only its SHA-256 in the database', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Secret Co');
    const email = uniqueEmail('secret');
    const created = await bulk(owner, ws.id, [email]);
    expect(created.statusCode, created.body).toBe(201);
    const id = json(created).created[0].id as string;
    const token = await newTokenFor(t, email, []);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(token).not.toContain(id);

    const row = (await invitationRow(t, id))!;
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.tokenHash).toBe(hashToken(token));

    const list = await owner.api.get(`/api/workspaces/${ws.id}/invitations`);
    const detail = await owner.api.get(`/api/workspaces/${ws.id}/invitations/${id}`);
    for (const res of [created, list, detail]) {
      expect(res.body).not.toContain(token);
      expect(res.body).not.toContain(row.tokenHash);
      expect(res.body).not.toContain(row.tokenNonce);
      expect(res.body).not.toMatch(/\/invite\/|token/i);
    }

    // The raw token is nowhere in the database except inside the delivered mail.
    const dbText = JSON.stringify([
      await t.deps.db.select().from(invitations),
      await t.deps.db.select().from(outbox),
      await t.deps.db.select().from(activityEvents),
      await t.deps.db.select().from(supersededInvitationTokens),
    ]);
    expect(dbText).not.toContain(token);
    expect(JSON.stringify(await outboxRowsFor(t, id))).not.toContain(row.tokenHash);
  });

  it('T-INV-04: status filter uses the derived `expired` after the clock passes expiry; an expired invitation can be resent', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Expiry Co');
    expect((await owner.api.patch(`/api/workspaces/${ws.id}`, { inviteExpiryDays: 1 })).statusCode).toBe(200);
    const a = uniqueEmail('exp-a');
    const b = uniqueEmail('exp-b');
    const { invitationId: ia, token: ta } = await invite(t, owner, ws.id, a);
    const { invitationId: ib, token: tb } = await invite(t, owner, ws.id, b);
    const pendingIds = (await listAll(owner, ws.id, 'status=pending')).map((i) => i.id);
    expect(pendingIds).toEqual(expect.arrayContaining([ia, ib]));
    const expiresAt = new Date((await getInvitation(owner, ws.id, ia)).expiresAt).getTime();
    expect(expiresAt - t.clock.now().getTime()).toBe(DAY);

    t.clock.set(new Date(expiresAt + SECOND));
    expect((await listAll(owner, ws.id, 'status=pending')).map((i) => i.id)).toEqual([]);
    const expired = await listAll(owner, ws.id, 'status=expired');
    expect(expired.map((i) => i.id).sort()).toEqual([ia, ib].sort());
    expect(expired.every((i) => i.status === 'expired' && i.abilities.resend && i.abilities.revoke)).toBe(true);
    expect((await getInvitation(owner, ws.id, ia)).status).toBe('expired');
    expect((await invitationRow(t, ia))!.status).toBe('pending'); // derived, no job needed
    expectProblem(await anon(t).get(`/api/invitations/${ta}`), 410, 'invitation_expired');

    // Re-inviting `a` writes the derived state and creates a fresh invitation.
    const again = await bulk(owner, ws.id, [a]);
    expect(again.statusCode, again.body).toBe(201);
    expect(json(again).created).toHaveLength(1);
    expect((await invitationRow(t, ia))!.status).toBe('expired');

    // expired --resend--> pending: new link, new expiry.
    const resent = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${ib}/resend`);
    expect(resent.statusCode, resent.body).toBe(200);
    expect(json(resent)).toMatchObject({ status: 'pending', resendCount: 1 });
    expect(new Date(json(resent).expiresAt).getTime()).toBe(t.clock.now().getTime() + DAY);
    const nb = await newTokenFor(t, b, [tb]);
    expect((await anon(t).get(`/api/invitations/${nb}`)).statusCode).toBe(200);
    expectProblem(await anon(t).get(`/api/invitations/${tb}`), 410, 'invitation_replaced');
  });
});

describe('resend (T-INV-06)', () => {
  it('new link mailed, old link 410 invitation_replaced, expiry restarts, role and email unchanged; cooldown with Retry-After', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Resend Co');
    const email = uniqueEmail('resend');
    const invitee = await createUser(t, { email });
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'user');
    const before = await getInvitation(owner, ws.id, invitationId);
    const url = `/api/workspaces/${ws.id}/invitations/${invitationId}/resend`;

    const cool = await owner.api.post(url);
    expectProblem(cool, 429, 'resend_cooldown');
    expect(cool.headers['retry-after']).toBe('60');
    t.clock.advance(30 * SECOND);
    const cool2 = await owner.api.post(url);
    expectProblem(cool2, 429, 'resend_cooldown');
    expect(cool2.headers['retry-after']).toBe('30');
    expect(await mailsTo(t, email)).toHaveLength(1);
    t.clock.advance(30 * SECOND);

    // The body cannot change role, email or workspace.
    const res = await owner.api.post(url, { role: 'admin', email: 'mallory@evil.test', workspaceId: '00000000-0000-4000-8000-000000000000' });
    expect(res.statusCode, res.body).toBe(200);
    const after = json(res);
    expect(after).toMatchObject({ id: invitationId, role: 'user', email: before.email, status: 'pending', resendCount: 1 });
    expect(new Date(after.expiresAt).getTime()).toBe(t.clock.now().getTime() + 7 * DAY);
    expect(new Date(after.expiresAt).getTime()).toBeGreaterThan(new Date(before.expiresAt).getTime());
    expect(res.body).not.toMatch(/\/invite\//);

    const fresh = await newTokenFor(t, email, [token]);
    expect(fresh).not.toBe(token);
    expect(await mailsTo(t, email)).toHaveLength(2);
    expect(await mailsTo(t, 'mallory@evil.test')).toHaveLength(0);
    const row = (await invitationRow(t, invitationId))!;
    expect(row).toMatchObject({ role: 'user', email, workspaceId: ws.id, tokenHash: hashToken(fresh) });

    expectProblem(await anon(t).get(`/api/invitations/${token}`), 410, 'invitation_replaced');
    expectProblem(await invitee.api.post(`/api/invitations/${token}/accept`), 410, 'invitation_replaced');
    expectProblem(await anon(t).post(`/api/invitations/${token}/decline`), 410, 'invitation_replaced');
    expect((await anon(t).get(`/api/invitations/${fresh}`)).statusCode).toBe(200);

    // The cooldown starts again from this send.
    const cool3 = await owner.api.post(url);
    expectProblem(cool3, 429, 'resend_cooldown');
    expect(cool3.headers['retry-after']).toBe('60');

    const accepted = await invitee.api.post(`/api/invitations/${fresh}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json(accepted).workspaceId).toBe(ws.id);
  });

  it('resend of an accepted, declined or revoked invitation → 409 invitation_not_pending', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Closed Co');
    const member = await addMember(t, owner, ws.id, 'user');
    const acceptedId = (await listAll(owner, ws.id, 'status=accepted')).find((i) => i.email === member.email)!.id;
    const { invitationId: revokedId } = await invite(t, owner, ws.id, uniqueEmail('rv'));
    expect((await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${revokedId}`)).statusCode).toBe(204);
    const declinedEmail = uniqueEmail('dc');
    const { invitationId: declinedId, token } = await invite(t, owner, ws.id, declinedEmail);
    expect((await anon(t).post(`/api/invitations/${token}/decline`)).statusCode).toBe(204);
    const { invitationId: pendingId } = await invite(t, owner, ws.id, uniqueEmail('pd'));
    t.clock.advance(61 * SECOND);

    for (const id of [acceptedId, revokedId, declinedId]) {
      expectProblem(await owner.api.post(`/api/workspaces/${ws.id}/invitations/${id}/resend`), 409, 'invitation_not_pending');
    }
    expect(await mailsTo(t, declinedEmail)).toHaveLength(1);
    const ok = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${pendingId}/resend`);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('T-ROLE-01 (R-10): an admin cannot resend or revoke an invitation whose role is above theirs; the owner can', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Resend Ceiling');
    const admin = await addMember(t, owner, ws.id, 'admin');
    const email = uniqueEmail('super');
    const { invitationId, token } = await invite(t, owner, ws.id, email, 'super_admin');
    const { invitationId: adminInvite } = await invite(t, owner, ws.id, uniqueEmail('adm'), 'admin');
    t.clock.advance(61 * SECOND);

    const listed = (await listAll(admin, ws.id)).find((i) => i.id === invitationId);
    expect(listed).toMatchObject({ role: 'super_admin', abilities: { resend: false, revoke: false } });
    expectProblem(await admin.api.post(`/api/workspaces/${ws.id}/invitations/${invitationId}/resend`), 403, 'role_ceiling');
    expectProblem(await admin.api.delete(`/api/workspaces/${ws.id}/invitations/${invitationId}`), 403, 'role_ceiling');
    const row = (await invitationRow(t, invitationId))!;
    expect(row).toMatchObject({ status: 'pending', resendCount: 0, inviterUserId: owner.id, tokenHash: hashToken(token) });
    expect(await mailsTo(t, email)).toHaveLength(1);

    // Positive controls: the admin manages an admin-role invitation; the owner resends the super-admin one.
    expect((await admin.api.post(`/api/workspaces/${ws.id}/invitations/${adminInvite}/resend`)).statusCode).toBe(200);
    const byOwner = await owner.api.post(`/api/workspaces/${ws.id}/invitations/${invitationId}/resend`);
    expect(byOwner.statusCode, byOwner.body).toBe(200);
    expect(json(byOwner).role).toBe('super_admin');
    expect(await mailsTo(t, email)).toHaveLength(2);
  });

  it('a user manages only the guest invitations they sent', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Guest Manage');
    const user = await addMember(t, owner, ws.id, 'user');
    const user2 = await addMember(t, owner, ws.id, 'user');
    const r = await bulk(user, ws.id, [uniqueEmail('g')], 'guest');
    expect(r.statusCode, r.body).toBe(201);
    const mine = json(r).created[0].id as string;
    t.clock.advance(61 * SECOND);
    expectProblem(await user2.api.post(`/api/workspaces/${ws.id}/invitations/${mine}/resend`), 403, 'forbidden');
    expectProblem(await user2.api.delete(`/api/workspaces/${ws.id}/invitations/${mine}`), 403, 'forbidden');
    expect((await user.api.post(`/api/workspaces/${ws.id}/invitations/${mine}/resend`)).statusCode).toBe(200);
    expect((await user.api.delete(`/api/workspaces/${ws.id}/invitations/${mine}`)).statusCode).toBe(204);
  });
});

describe('revoke', () => {
  it('T-INV-05: 204, then the link answers 410 invitation_revoked everywhere; revoking again or an accepted one → 409', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Revoke Co');
    const email = uniqueEmail('revoke');
    const invitee = await createUser(t, { email });
    const { invitationId, token } = await invite(t, owner, ws.id, email);
    const del = await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${invitationId}`);
    expect(del.statusCode, del.body).toBe(204);

    expectProblem(await anon(t).get(`/api/invitations/${token}`), 410, 'invitation_revoked');
    expectProblem(await invitee.api.post(`/api/invitations/${token}/accept`), 410, 'invitation_revoked');
    expectProblem(await anon(t).post(`/api/invitations/${token}/decline`), 410, 'invitation_revoked');
    expect((await getInvitation(owner, ws.id, invitationId)).status).toBe('revoked');
    expectProblem(await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${invitationId}`), 409, 'invitation_not_pending');
    expectProblem(await invitee.api.get(`/api/workspaces/${ws.id}`), 404, 'not_found');

    // Accepted → 409 (remove the member instead); the membership is untouched.
    const member = await addMember(t, owner, ws.id, 'user');
    const acceptedId = (await listAll(owner, ws.id, 'status=accepted')).find((i) => i.email === member.email)!.id;
    expectProblem(await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${acceptedId}`), 409, 'invitation_not_pending');
    expect((await getInvitation(owner, ws.id, acceptedId)).status).toBe('accepted');
    expect((await member.api.get(`/api/workspaces/${ws.id}`)).statusCode).toBe(200);
    expectProblem(await owner.api.delete(`/api/workspaces/${ws.id}/invitations/00000000-0000-4000-8000-000000000000`), 404, 'not_found');
  });

  it('the queued mail of an invitation revoked before the worker ran is never sent', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Unsent Co');
    const email = uniqueEmail('unsent');
    const control = uniqueEmail('sent');
    const res = await bulk(owner, ws.id, [email, control]);
    expect(res.statusCode, res.body).toBe(201);
    const id = json(res).created.find((c: any) => c.email === email).id as string;
    expect((await owner.api.delete(`/api/workspaces/${ws.id}/invitations/${id}`)).statusCode).toBe(204);

    await t.worker.drain();
    expect(await devMailCount(t, email)).toBe(0);
    expect(await mailsTo(t, email)).toHaveLength(0);
    expect((await outboxRowsFor(t, id)).map((r) => r.status)).toEqual(['skipped']);
    expect(await mailsTo(t, control)).toHaveLength(1); // positive control
  });

  it('a mail queued before a resend is skipped: only the newest link is ever delivered', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Superseded Co');
    const email = uniqueEmail('superseded');
    const res = await bulk(owner, ws.id, [email]);
    const id = json(res).created[0].id as string;
    t.clock.advance(61 * SECOND);
    expect((await owner.api.post(`/api/workspaces/${ws.id}/invitations/${id}/resend`)).statusCode).toBe(200);
    await t.worker.drain();
    const mails = await mailsTo(t, email);
    expect(mails).toHaveLength(1);
    const token = /\/invite\/([A-Za-z0-9_-]+)/.exec(mails[0]!.text)![1]!;
    expect((await invitationRow(t, id))!.tokenHash).toBe(hashToken(token));
    expect((await outboxRowsFor(t, id)).map((r) => r.status).sort()).toEqual(['done', 'skipped']);
  });
});

describe('T-CONC-05: rollback of a failed invitation', () => {
  it('a failure after the insert leaves no invitation, no outbox row and no mail', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Rollback Co');
    const email = uniqueEmail('rollback');
    const outboxBefore = await outboxCount(t);
    // The activity insert runs after the invitations and outbox inserts, in the same transaction.
    await t.deps.db.execute(sql`alter table activity_events add constraint t_fail check (type <> 'invitation.created') not valid`);
    let res: Res | undefined;
    try {
      res = await bulk(owner, ws.id, [email]);
    } finally {
      await t.deps.db.execute(sql`alter table activity_events drop constraint t_fail`);
    }
    expectProblem(res!, 500, 'internal');
    expect(res!.body).not.toMatch(/t_fail|activity_events|constraint|violates/i);
    expect(await invitationRowsFor(t, ws.id, email)).toHaveLength(0);
    expect(await outboxCount(t)).toBe(outboxBefore);
    await t.worker.drain();
    expect(await devMailCount(t, email)).toBe(0);

    // Positive control: the same request succeeds once the fault is gone.
    const ok = await bulk(owner, ws.id, [email]);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await invitationRowsFor(t, ws.id, email)).toHaveLength(1);
    expect(await mailsTo(t, email)).toHaveLength(1);
  });
});
