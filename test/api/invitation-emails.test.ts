import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devMailbox, outbox } from '../../src/db/schema/index.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertUser } from '../../src/modules/auth/repo.js';
import { APP_URL, caller, createTestApp, json, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, expectProblem, mailsTo, PASSWORD, signIn, uniqueEmail, type TestUser } from '../factories.js';
import { bulk, getInvitation, invitationRow, outboxRowsFor } from './invitation-helpers.js';

const HOSTILE_WORKSPACE = '</b><a href="https://evil.test">x</a><img src=x onerror=alert(1)>';
const HOSTILE_INVITER = `Eve "Quotes" O'Hara "><script>alert(1)</script>`;
const LINK = /\/invite\/([A-Za-z0-9_-]+)/;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** URL-carrying attributes of real tags (escaped text such as `&lt;a href=&quot;…` is not a tag). */
function hrefs(html: string): string[] {
  const out: string[] = [];
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    for (const m of tag.matchAll(/\s(?:href|src|action|formaction|background)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) out.push(m[1] ?? m[2] ?? m[3]!);
  }
  return out;
}

/** What the mail claims, checked on both parts. */
function expectSafeMail(mail: { subject: string; text: string; html: string }) {
  expect(mail.subject).not.toMatch(/[\r\n\u2028\u2029]/);
  expect(mail.html).not.toMatch(/<img|<script|<\/b>|<b>|<iframe|<svg|javascript:/i);
  expect(mail.html.match(/<a[\s>]/gi)).toHaveLength(1);
  const links = hrefs(mail.html);
  expect(links).toHaveLength(1);
  expect(links[0]!.startsWith(`${APP_URL}/invite/`)).toBe(true);
  expect(mail.text).not.toMatch(/evil\.test\/invite|https?:\/\/(?!gatehouse\.test\/)[^\s]*invite/);
}

describe('invitation email content (T-INV-13)', () => {
  it('hostile workspace and inviter names are escaped in HTML; only one link, on APP_URL; subject single-line', async () => {
    const owner = await createUser(t, { name: HOSTILE_INVITER });
    const ws = await createWorkspace(owner, HOSTILE_WORKSPACE);
    const email = uniqueEmail('escape');
    const res = await bulk(owner, ws.id, [email], 'admin');
    expect(res.statusCode, res.body).toBe(201);
    const mails = await mailsTo(t, email);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expectSafeMail(mail);
    expect(mail.html).toContain('&lt;/b&gt;&lt;a href=&quot;https://evil.test&quot;&gt;x&lt;/a&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).toContain('Eve &quot;Quotes&quot; O&#39;Hara &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // The plain-text part carries the strings unchanged (it is not HTML).
    expect(mail.text).toContain(HOSTILE_WORKSPACE);
    expect(mail.text).toContain(HOSTILE_INVITER);
    expect(mail.subject).toContain(HOSTILE_WORKSPACE);
    const token = LINK.exec(mail.text)![1]!;
    expect(mail.text).toContain(`${APP_URL}/invite/${token}`);
    expect(hrefs(mail.html)[0]).toBe(`${APP_URL}/invite/${token}`);
  });

  it('CR/LF in a stored inviter name never reaches a header; CR/LF in names is refused at input', async () => {
    // A name written before validation existed (inserted directly), with a header-injection attempt.
    const email = uniqueEmail('crlf-inviter');
    const now = t.clock.now();
    await insertUser(t.deps.db, { id: randomUUID(), email, name: 'Mallory\r\nBcc: spy@evil.test', passwordHash: await hashPassword(PASSWORD), emailVerifiedAt: now, createdAt: now, updatedAt: now });
    const mallory = await signIn(t, email);
    const ws = await createWorkspace(mallory, 'Header Co');
    const invitee = uniqueEmail('crlf-invitee');
    expect((await bulk(mallory, ws.id, [invitee])).statusCode).toBe(201);
    const [mail] = await mailsTo(t, invitee);
    expect(mail!.subject).not.toMatch(/[\r\n]/);
    expect(mail!.subject).toContain('Mallory Bcc: spy@evil.test');
    expect(await mailsTo(t, 'spy@evil.test')).toHaveLength(0);
    const [row] = await t.deps.db.select().from(devMailbox).where(eq(devMailbox.to, invitee));
    expect(row!.to).toBe(invitee);

    expectProblem(await mallory.api.post('/api/workspaces', { name: 'Evil\r\nBcc: spy@evil.test' }), 400, 'validation_failed');
    expectProblem(await mallory.api.patch(`/api/workspaces/${ws.id}`, { name: 'Evil\nCo' }), 400, 'validation_failed');
    expectProblem(await mallory.api.patch('/api/me', { name: 'Evil\r\nBcc: spy@evil.test' }), 400, 'validation_failed');
    // Positive control: an ordinary rename works.
    expect((await mallory.api.patch(`/api/workspaces/${ws.id}`, { name: 'Header Co 2' })).statusCode).toBe(200);
  });

  it('the mail shows workspace, inviter, role, expiry and the link', async () => {
    const owner = await createUser(t, { name: 'Olivia Owner' });
    const ws = await createWorkspace(owner, 'Mail Co');
    const email = uniqueEmail('content');
    const res = await bulk(owner, ws.id, [email], 'admin');
    expect(res.statusCode, res.body).toBe(201);
    const inv = json(res).created[0];
    const [mail] = await mailsTo(t, email);
    const expiry = `${new Date(inv.expiresAt).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
    expect(mail!.subject).toBe('Olivia Owner invited you to Mail Co on Gatehouse');
    for (const part of [mail!.text, mail!.html]) {
      expect(part).toContain('Mail Co');
      expect(part).toContain('Olivia Owner');
      expect(part).toContain('Administrator');
      expect(part).toContain(expiry);
      expect(part).toMatch(new RegExp(`${APP_URL.replace(/\./g, '\\.')}/invite/[A-Za-z0-9_-]{43,}`));
    }
    expectSafeMail(mail!);
    // The link in the mail is the live one.
    const token = LINK.exec(mail!.text)![1]!;
    const preview = await caller(t.app).get(`/api/invitations/${token}`);
    expect(preview.statusCode, preview.body).toBe(200);
    expect(json(preview)).toMatchObject({ workspaceName: 'Mail Co', inviterName: 'Olivia Owner', role: 'admin' });
    expect((await invitationRow(t, inv.id))!.status).toBe('pending');
  });

  it('each outbox row has a stable Message-ID: a re-delivery of the same row is the same mail', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Message Co');
    const a = uniqueEmail('msg-a');
    const b = uniqueEmail('msg-b');
    const res = await bulk(owner, ws.id, [a, b]);
    expect(res.statusCode, res.body).toBe(201);
    const idA = json(res).created.find((c: any) => c.email === a).id as string;
    const [mailA] = await mailsTo(t, a);
    const [mailB] = await mailsTo(t, b);
    const [outboxA] = await outboxRowsFor(t, idA);
    expect(mailA!.messageId).toBe(`<${outboxA!.id}@gatehouse>`);
    expect(mailA!.messageId).toMatch(/^<[^<>\s@]+@[^<>\s@]+>$/);
    expect(mailB!.messageId).not.toBe(mailA!.messageId);

    // Simulate a crash after sending but before the row was marked done: the worker runs it again.
    await t.deps.db.update(outbox).set({ status: 'pending', doneAt: null, lockedUntil: null }).where(eq(outbox.id, outboxA!.id));
    await t.worker.drain();
    const again = await mailsTo(t, a);
    expect(again).toHaveLength(1);
    expect(again[0]!.messageId).toBe(mailA!.messageId);
    expect((await outboxRowsFor(t, idA))[0]!.status).toBe('done');
  });
});

describe('T-INV-11: links are built from APP_URL, never from the request', () => {
  const hostile = { host: 'evil.test', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'http', 'x-forwarded-for': '6.6.6.6' };

  async function inviteAndResendWithHostileHeaders(app: TestApp, owner: TestUser, wsId: string) {
    const email = uniqueEmail('host');
    const res = await owner.api.post(`/api/workspaces/${wsId}/invitations`, { emails: [email], role: 'user' }, hostile);
    expect(res.statusCode, res.body).toBe(201);
    const id = json(res).created[0].id as string;
    await app.worker.drain(); // send the first mail before the resend supersedes it
    app.clock.advance(61_000);
    const resent = await owner.api.post(`/api/workspaces/${wsId}/invitations/${id}/resend`, {}, hostile);
    expect(resent.statusCode, resent.body).toBe(200);
    const mails = await mailsTo(app, email);
    expect(mails).toHaveLength(2);
    for (const mail of mails) {
      expect(mail.text).not.toContain('evil.test');
      expect(mail.html).not.toContain('evil.test');
      expectSafeMail(mail);
    }
    const latest = LINK.exec(mails[0]!.text)![1]!;
    expect((await caller(app.app).get(`/api/invitations/${latest}`)).statusCode).toBe(200);
    expect((await getInvitation(owner, wsId, id)).resendCount).toBe(1);
  }

  it('with Host and X-Forwarded-Host: evil.test (proxy headers not trusted)', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Host Co');
    await inviteAndResendWithHostileHeaders(t, owner, ws.id);
  });

  it('with TRUST_PROXY=true as well', async () => {
    const pt = await createTestApp({ config: { TRUST_PROXY: 'true' } });
    try {
      const owner = await createUser(pt);
      const ws = await createWorkspace(owner, 'Proxy Co');
      await inviteAndResendWithHostileHeaders(pt, owner, ws.id);
    } finally {
      await pt.close();
    }
  });
});
