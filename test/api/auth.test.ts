import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../../src/app/context.js';
import { activityEvents, emailVerifications, users } from '../../src/db/schema/index.js';
import { caller, json, ORIGIN, type Res, type TestApp, createTestApp } from '../helpers/app.js';
import { createUser, expectProblem, mailsTo, PASSWORD, sessionCookieOf, signIn, uniqueEmail } from '../factories.js';

/** Auth endpoints: sign-up, sign-in, email verification and the profile (`/api/me`). */

const NEW_PASSWORD = 'another long passphrase 42';

async function userRow(t: TestApp, email: string) {
  const [row] = await t.deps.db.select().from(users).where(eq(users.email, email));
  return row;
}

/** A problem body without the per-request fields, to compare two answers. */
function stableBody(res: Res) {
  const { requestId: _r, ...rest } = json(res);
  return rest;
}

function verificationTokenIn(mails: { text: string }[]): string | undefined {
  return mails.map((m) => /\/verify-email\/([A-Za-z0-9_-]+)/.exec(m.text)?.[1]).find(Boolean);
}

describe('auth API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const anon = () => caller(t.app);

  describe('sign-up', () => {
    it('T-RATE-04: identical 202 for a new and an existing address; the owner of the existing account gets a mail instead', async () => {
      const existing = await createUser(t, { name: 'Existing Person' });
      const fresh = uniqueEmail('new');

      const forNew = await anon().post('/api/auth/sign-up', { email: fresh, password: PASSWORD, name: 'Newcomer' });
      const forExisting = await anon().post('/api/auth/sign-up', { email: existing.email.toUpperCase(), password: NEW_PASSWORD, name: 'Impostor' });

      expect(forNew.statusCode, forNew.body).toBe(202);
      expect(forExisting.statusCode, forExisting.body).toBe(202);
      expect(forExisting.body).toBe(forNew.body);
      expect(json(forNew).status).toBe('check_your_email');
      expect(forNew.headers['set-cookie']).toBeUndefined();
      expect(forExisting.headers['set-cookie']).toBeUndefined();

      // The existing owner is told by mail, the account is unchanged (old password still works, new one does not).
      const ownerMails = await mailsTo(t, existing.email);
      expect(ownerMails.map((m) => m.subject)).toContain('Someone tried to sign up with your email');
      expect(ownerMails.find((m) => m.subject === 'Someone tried to sign up with your email')!.text).toMatch(/already have a Gatehouse account/);
      expect(verificationTokenIn(ownerMails)).toBeUndefined();
      const row = await userRow(t, existing.email);
      expect(row!.name).toBe('Existing Person');
      expectProblem(await anon().post('/api/auth/sign-in', { email: existing.email, password: NEW_PASSWORD }), 401, 'invalid_credentials');
      expect((await anon().post('/api/auth/sign-in', { email: existing.email, password: PASSWORD })).statusCode).toBe(200);

      // The newcomer exists (unverified) and got a verification mail.
      const created = await userRow(t, fresh);
      expect(created).toBeDefined();
      expect(created!.emailVerifiedAt).toBeNull();
      const newMails = await mailsTo(t, fresh);
      expect(newMails.map((m) => m.subject)).toEqual(['Verify your email address for Gatehouse']);
      expect(verificationTokenIn(newMails)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    });

    it('stores the address normalised and can sign in with any spelling of it (T-BIND-04)', async () => {
      const local = `mixed-${Math.random().toString(36).slice(2, 10)}`;
      const res = await anon().post('/api/auth/sign-up', { email: `  ${local.toUpperCase()}@Example.TEST `, password: PASSWORD, name: 'Mixed Case' });
      expect(res.statusCode, res.body).toBe(202);
      expect(await userRow(t, `${local}@example.test`)).toBeDefined();
      const signedIn = await anon().post('/api/auth/sign-in', { email: `${local}@EXAMPLE.test`, password: PASSWORD });
      expect(signedIn.statusCode, signedIn.body).toBe(200);
      expect(json(signedIn).user.email).toBe(`${local}@example.test`);
    });

    it('weak password (< 12 characters) → 422 weak_password and no account', async () => {
      const email = uniqueEmail('weak');
      const res = await anon().post('/api/auth/sign-up', { email, password: 'short pw 1', name: 'Weak' });
      expectProblem(res, 422, 'weak_password');
      expect(json(res).errors[0].path).toBe('body.password');
      expect(await userRow(t, email)).toBeUndefined();
      expect(await mailsTo(t, email)).toHaveLength(0);
      // A single repeated character is refused even when long.
      expectProblem(await anon().post('/api/auth/sign-up', { email, password: 'a'.repeat(20), name: 'Weak' }), 422, 'weak_password');
      // Positive control: the same address with a 12-character password.
      expect((await anon().post('/api/auth/sign-up', { email, password: 'Vq7#mZ2p!xLr', name: 'Weak' })).statusCode).toBe(202);
      expect(await userRow(t, email)).toBeDefined();
    });

    it('missing email without an invitationToken → 400 validation_failed', async () => {
      const res = await anon().post('/api/auth/sign-up', { password: PASSWORD, name: 'No Email' });
      expectProblem(res, 400, 'validation_failed');
      expect(json(res).errors).toEqual([{ path: 'body.email', message: 'Required' }]);
    });

    it('invalid addresses → 400 validation_failed (CR/LF header injection, Cyrillic look-alike)', async () => {
      for (const email of ['victim@example.test\r\nBcc: all@example.test', 'аlice@example.test', 'trailing@example.test.', 'nul\u0000@example.test']) {
        expectProblem(await anon().post('/api/auth/sign-up', { email, password: PASSWORD, name: 'Bad' }), 400, 'validation_failed');
      }
    });

    it('T-ROLE-06: unknown/server-owned fields → 400 validation_failed, nothing persisted', async () => {
      const email = uniqueEmail('mass');
      const res = await anon().post('/api/auth/sign-up', { email, password: PASSWORD, name: 'Mass', emailVerified: true, isAdmin: true, role: 'owner' });
      expectProblem(res, 400, 'validation_failed');
      expect(await userRow(t, email)).toBeUndefined();
      expect(await mailsTo(t, email)).toHaveLength(0);
      // Positive control: without the extra fields.
      expect((await anon().post('/api/auth/sign-up', { email, password: PASSWORD, name: 'Mass' })).statusCode).toBe(202);
      expect((await userRow(t, email))!.emailVerifiedAt).toBeNull();
    });
  });

  describe('sign-in', () => {
    it('T-RATE-03: unknown email and wrong password give the same status and body', async () => {
      const user = await createUser(t);
      const wrongPassword = await anon().post('/api/auth/sign-in', { email: user.email, password: 'wrong password here' });
      const unknownEmail = await anon().post('/api/auth/sign-in', { email: uniqueEmail('ghost'), password: 'wrong password here' });
      expectProblem(wrongPassword, 401, 'invalid_credentials');
      expectProblem(unknownEmail, 401, 'invalid_credentials');
      expect(stableBody(unknownEmail)).toEqual(stableBody(wrongPassword));
      expect(wrongPassword.headers['set-cookie']).toBeUndefined();
      expect(unknownEmail.headers['set-cookie']).toBeUndefined();
      // Positive control.
      expect((await anon().post('/api/auth/sign-in', { email: user.email, password: PASSWORD })).statusCode).toBe(200);
    });

    it('T-SESS-02: success sets an HttpOnly, SameSite=Lax, Path=/ cookie with ≥ 256 random bits', async () => {
      const user = await createUser(t);
      const res = await anon().post('/api/auth/sign-in', { email: user.email, password: PASSWORD });
      expect(res.statusCode, res.body).toBe(200);
      expect(json(res).user).toMatchObject({ id: user.id, email: user.email, emailVerified: true });
      const raw = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]).find((c) => c.startsWith('gh_session='))!;
      const attrs = raw.split(';').map((a) => a.trim().toLowerCase());
      expect(attrs).toContain('httponly');
      expect(attrs).toContain('samesite=lax');
      expect(attrs).toContain('path=/');
      expect(attrs.some((a) => a.startsWith('domain='))).toBe(false);
      expect(attrs.some((a) => a.startsWith('expires='))).toBe(true);
      // http APP_URL: no Secure flag (a https deployment gets __Host- + Secure, see sessions.test.ts).
      expect(attrs).not.toContain('secure');
      const value = raw.split(';')[0]!.slice('gh_session='.length);
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('T-SESS-01: the token rotates on every sign-in and the cookie sent with the sign-in stops working', async () => {
      const user = await createUser(t);
      const first = user.cookie;
      expect((await caller(t.app, first).get('/api/me')).statusCode).toBe(200);

      const again = await caller(t.app, first).post('/api/auth/sign-in', { email: user.email, password: PASSWORD });
      expect(again.statusCode, again.body).toBe(200);
      const second = sessionCookieOf(again);
      expect(second).not.toBe(first);

      expectProblem(await caller(t.app, first).get('/api/me'), 401, 'unauthenticated');
      expect((await caller(t.app, second).get('/api/me')).statusCode).toBe(200);

      // A sign-in on another device (no cookie sent) leaves the existing session alone.
      const other = await signIn(t, user.email);
      expect(other.cookie).not.toBe(second);
      expect((await caller(t.app, second).get('/api/me')).statusCode).toBe(200);
      expect((await other.api.get('/api/me')).statusCode).toBe(200);
    });

    it('failed sign-ins are recorded as auth.sign_in_failed (known account and unknown address)', async () => {
      const user = await createUser(t);
      const ghost = uniqueEmail('ghost');
      expectProblem(await anon().post('/api/auth/sign-in', { email: user.email, password: 'not the password' }), 401, 'invalid_credentials');
      expectProblem(await anon().post('/api/auth/sign-in', { email: user.email, password: 'still not it!' }), 401, 'invalid_credentials');
      expectProblem(await anon().post('/api/auth/sign-in', { email: ghost, password: 'not the password' }), 401, 'invalid_credentials');

      const forUser = await t.deps.db
        .select()
        .from(activityEvents)
        .where(and(eq(activityEvents.type, 'auth.sign_in_failed'), eq(activityEvents.targetUserId, user.id)));
      expect(forUser).toHaveLength(2);
      expect(forUser[0]!.actorUserId).toBeNull();
      expect(forUser[0]!.ip).toBe('127.0.0.1');
      // The attempted password is never stored.
      expect(JSON.stringify(forUser)).not.toContain('not the password');

      const forGhost = await t.deps.db
        .select()
        .from(activityEvents)
        .where(and(eq(activityEvents.type, 'auth.sign_in_failed'), sql`${activityEvents.data}->>'email' = ${ghost}`));
      expect(forGhost).toHaveLength(1);
      expect(forGhost[0]!.targetUserId).toBeNull();

      // Positive control: a good sign-in is recorded as auth.signed_in, not as a failure.
      await signIn(t, user.email);
      const ok = await t.deps.db.select().from(activityEvents).where(and(eq(activityEvents.type, 'auth.signed_in'), eq(activityEvents.actorUserId, user.id)));
      expect(ok.length).toBeGreaterThanOrEqual(1);
    });

    it('extra fields on sign-in → 400 validation_failed', async () => {
      const user = await createUser(t);
      expectProblem(await anon().post('/api/auth/sign-in', { email: user.email, password: PASSWORD, remember: true }), 400, 'validation_failed');
      expectProblem(await anon().post('/api/auth/sign-in', { email: user.email }), 400, 'validation_failed');
    });
  });

  describe('email verification', () => {
    async function signUp(email: string) {
      const res = await anon().post('/api/auth/sign-up', { email, password: PASSWORD, name: 'Verifier' });
      expect(res.statusCode, res.body).toBe(202);
      const token = verificationTokenIn(await mailsTo(t, email));
      expect(token).toBeDefined();
      return token!;
    }

    it('the link from the mail verifies the address; a second use → 410 verification_link_invalid', async () => {
      const email = uniqueEmail('verify');
      const token = await signUp(email);
      const mail = (await mailsTo(t, email))[0]!;
      expect(mail.text).toContain(`${ORIGIN}/verify-email/${token}`);

      const session = await signIn(t, email);
      expect(json(await session.api.get('/api/me')).user.emailVerified).toBe(false);

      const res = await anon().post('/api/auth/verify-email', { token });
      expect(res.statusCode, res.body).toBe(200);
      expect(json(res).user).toMatchObject({ email, emailVerified: true });
      expect((await userRow(t, email))!.emailVerifiedAt).toEqual(t.clock.now());
      expect(json(await session.api.get('/api/me')).user.emailVerified).toBe(true);

      expectProblem(await anon().post('/api/auth/verify-email', { token }), 410, 'verification_link_invalid');
    });

    it('the verification table stores the hash, not the token', async () => {
      const email = uniqueEmail('verify-hash');
      const token = await signUp(email);
      const user = (await userRow(t, email))!;
      const rows = await t.deps.db.select().from(emailVerifications).where(eq(emailVerifications.userId, user.id));
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('an expired link (past EMAIL_VERIFICATION_HOURS) → 410, the user stays unverified', async () => {
      const email = uniqueEmail('verify-late');
      const token = await signUp(email);
      t.clock.advance(t.config.EMAIL_VERIFICATION_HOURS * HOUR + 1000);
      expectProblem(await anon().post('/api/auth/verify-email', { token }), 410, 'verification_link_invalid');
      expect((await userRow(t, email))!.emailVerifiedAt).toBeNull();
    });

    it('a link used just before expiry works (positive control for the expiry)', async () => {
      const email = uniqueEmail('verify-edge');
      const token = await signUp(email);
      t.clock.advance(t.config.EMAIL_VERIFICATION_HOURS * HOUR - 60_000);
      expect((await anon().post('/api/auth/verify-email', { token })).statusCode).toBe(200);
    });

    it('an unknown or malformed token → 410 / 400, never a 500', async () => {
      expectProblem(await anon().post('/api/auth/verify-email', { token: 'x'.repeat(43) }), 410, 'verification_link_invalid');
      expectProblem(await anon().post('/api/auth/verify-email', { token: 'short' }), 400, 'validation_failed');
      expectProblem(await anon().post('/api/auth/verify-email', { token: "' OR 1=1--" }), 410, 'verification_link_invalid');
    });

    it('POST /api/me/verification resends a working link; verified users get no mail', async () => {
      const unverified = await createUser(t, { verified: false });
      expect(await mailsTo(t, unverified.email)).toHaveLength(0);
      const res = await unverified.api.post('/api/me/verification');
      expect(res.statusCode, res.body).toBe(202);
      expect(json(res)).toEqual({ status: 'sent' });
      const mails = await mailsTo(t, unverified.email);
      expect(mails).toHaveLength(1);
      const token = verificationTokenIn(mails)!;
      expect((await anon().post('/api/auth/verify-email', { token })).statusCode).toBe(200);
      expect(json(await unverified.api.get('/api/me')).user.emailVerified).toBe(true);

      const verified = await createUser(t);
      expect((await verified.api.post('/api/me/verification')).statusCode).toBe(202);
      expect(await mailsTo(t, verified.email)).toHaveLength(0);

      expectProblem(await anon().post('/api/me/verification'), 401, 'unauthenticated');
    });
  });

  describe('/api/me', () => {
    it('T-ROLE-10: GET /api/me has exactly the documented shape and never a password hash', async () => {
      const user = await createUser(t, { name: 'Shape Tester' });
      const res = await user.api.get('/api/me');
      expect(res.statusCode).toBe(200);
      const body = json(res);
      expect(Object.keys(body).sort()).toEqual(['mfaEnabled', 'nextStep', 'user', 'workspaces']);
      expect(body).toMatchObject({ mfaEnabled: false, nextStep: null });
      expect(Object.keys(body.user).sort()).toEqual(['createdAt', 'email', 'emailVerified', 'familyName', 'id', 'name']);
      expect(body.user).toMatchObject({ id: user.id, email: user.email, name: 'Shape Tester', emailVerified: true });
      expect(body.workspaces).toEqual([]);
      expect(res.body).not.toMatch(/argon2|password/i);

      const ws = await user.api.post('/api/workspaces', { name: 'Shape WS' });
      expect(ws.statusCode).toBe(201);
      const after = json(await user.api.get('/api/me'));
      expect(after.workspaces).toEqual([{ id: json(ws).id, name: 'Shape WS', role: 'owner', type: 'member', partner: null, pendingRequirements: [] }]);
    });

    it('GET /api/me without a session → 401 unauthenticated', async () => {
      expectProblem(await anon().get('/api/me'), 401, 'unauthenticated');
      expectProblem(await caller(t.app, 'gh_session=not-a-real-session-token').get('/api/me'), 401, 'unauthenticated');
    });

    it('PATCH /api/me {name} updates the name (trimmed)', async () => {
      const user = await createUser(t, { name: 'Before' });
      const res = await user.api.patch('/api/me', { name: '  After Name  ' });
      expect(res.statusCode, res.body).toBe(200);
      expect(json(res).user.name).toBe('After Name');
      expect(json(await user.api.get('/api/me')).user.name).toBe('After Name');
    });

    it('names with CR/LF/NUL, empty or over-long names → 400, name unchanged', async () => {
      const user = await createUser(t, { name: 'Stable Name' });
      for (const name of ['Evil\r\nBcc: x@example.test', 'line\nbreak', 'nul\u0000byte', '   ', 'x'.repeat(121)]) {
        expectProblem(await user.api.patch('/api/me', { name }), 400, 'validation_failed');
      }
      expect(json(await user.api.get('/api/me')).user.name).toBe('Stable Name');
    });

    it('T-ROLE-06: PATCH /api/me with server-owned fields → 400, nothing persisted', async () => {
      const user = await createUser(t, { name: 'Plain', verified: false });
      const res = await user.api.patch('/api/me', { name: 'Promoted', role: 'owner', isAdmin: true, emailVerified: true, email: uniqueEmail('takeover') });
      expectProblem(res, 400, 'validation_failed');
      const row = (await userRow(t, user.email))!;
      expect(row.name).toBe('Plain');
      expect(row.emailVerifiedAt).toBeNull();
      expect(json(await user.api.get('/api/me')).user).toMatchObject({ name: 'Plain', email: user.email, emailVerified: false });
    });
  });
});
