import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { activityEvents, users } from '../../src/db/schema/index.js';
import { createTestApp, json, ORIGIN, type Res, type TestApp } from '../helpers/app.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertUser } from '../../src/modules/auth/repo.js';
import { expectProblem, PASSWORD, uniqueEmail } from '../factories.js';

/**
 * Sign-in / sign-up rate limits with a low config. Every test uses its own client address
 * (`remoteAddress`), because the limiter's buckets live for the whole app.
 */

const PER_ACCOUNT = 3;
const PER_IP = 5;

let ipCounter = 0;
const freshIp = () => `203.0.113.${++ipCounter}`;

function signInFrom(t: TestApp, ip: string, email: string, password: string, headers: Record<string, string> = {}): Promise<Res> {
  return t.app.inject({ method: 'POST', url: '/api/auth/sign-in', remoteAddress: ip, headers: { origin: ORIGIN, ...headers }, payload: { email, password } }) as Promise<Res>;
}

/** An account that has not signed in yet (createUser signs in, which counts towards the per-account limit). */
async function account(t: TestApp): Promise<{ email: string }> {
  const email = uniqueEmail('acct');
  const now = t.clock.now();
  await insertUser(t.deps.db, { id: randomUUID(), email, name: 'Limited', passwordHash: await hashPassword(PASSWORD), emailVerifiedAt: now, createdAt: now, updatedAt: now });
  return { email };
}

function expectRateLimited(res: Res, maxSeconds: number): void {
  expectProblem(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter, `Retry-After: ${res.headers['retry-after']}`).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect(json(res).retryAfter).toBe(retryAfter);
  expect(res.headers['set-cookie']).toBeUndefined();
}

describe('rate limits (RATE_LIMIT_SIGN_IN_PER_ACCOUNT=3, RATE_LIMIT_SIGN_IN_PER_IP=5, TRUST_PROXY off)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      config: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: String(PER_ACCOUNT), RATE_LIMIT_SIGN_IN_PER_IP: String(PER_IP), RATE_LIMIT_SIGN_UP_PER_IP: '2' },
    });
  });
  afterAll(() => t.close());
  afterEach(() => vi.restoreAllMocks());

  it('T-RATE-01: the per-account limit → 429 rate_limited with Retry-After, for that email only', async () => {
    const alice = await account(t);
    const bob = await account(t);
    const ip = freshIp();
    for (let i = 0; i < PER_ACCOUNT; i++) expectProblem(await signInFrom(t, ip, alice.email, `wrong password ${i}`), 401, 'invalid_credentials');

    // Even the right password is refused now: the limit applies before any password check.
    expectRateLimited(await signInFrom(t, ip, alice.email, PASSWORD), 15 * 60);
    // Another spelling of the same address is the same account.
    expectRateLimited(await signInFrom(t, freshIp(), alice.email.toUpperCase(), PASSWORD), 15 * 60);

    // Positive control: another account is not affected (from a fresh IP, to stay under the IP limit).
    expect((await signInFrom(t, freshIp(), bob.email, PASSWORD)).statusCode).toBe(200);
  });

  it('T-RATE-01: only failures count: an account that signs in often is never limited', async () => {
    const erin = await account(t);
    for (let i = 0; i < PER_ACCOUNT + 2; i++) expect((await signInFrom(t, freshIp(), erin.email, PASSWORD)).statusCode).toBe(200);
    // Positive control: failures still do.
    for (let i = 0; i < PER_ACCOUNT; i++) expectProblem(await signInFrom(t, freshIp(), erin.email, `wrong password ${i}`), 401, 'invalid_credentials');
    expectRateLimited(await signInFrom(t, freshIp(), erin.email, PASSWORD), 15 * 60);
  });

  it('T-RATE-01: unknown addresses are limited the same way (no enumeration through the limit)', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < PER_ACCOUNT; i++) expectProblem(await signInFrom(t, freshIp(), ghost, `wrong password ${i}`), 401, 'invalid_credentials');
    expectRateLimited(await signInFrom(t, freshIp(), ghost, PASSWORD), 15 * 60);
  });

  it('T-RATE-01: the per-account limit holds across client IPs (a distributed guess is still limited)', async () => {
    const carol = await account(t);
    for (let i = 0; i < PER_ACCOUNT; i++) expectProblem(await signInFrom(t, freshIp(), carol.email, `wrong password ${i}`), 401, 'invalid_credentials');
    expectRateLimited(await signInFrom(t, freshIp(), carol.email, PASSWORD), 15 * 60);
  });

  it('T-RATE-01: the account is not locked for good: the right password works after the window', async () => {
    const dave = await account(t);
    const ip = freshIp();
    for (let i = 0; i < PER_ACCOUNT; i++) expectProblem(await signInFrom(t, ip, dave.email, `wrong password ${i}`), 401, 'invalid_credentials');
    expectRateLimited(await signInFrom(t, ip, dave.email, PASSWORD), 15 * 60);

    // Failures are counted from the activity log against the app clock: move it past the window.
    t.clock.advance(15 * 60 * 1000 + 1000);
    expect((await signInFrom(t, freshIp(), dave.email, PASSWORD)).statusCode).toBe(200);
  });

  it('T-RATE-01: the per-IP limit → 429 across different accounts', async () => {
    const ip = freshIp();
    for (let i = 0; i < PER_IP; i++) expectProblem(await signInFrom(t, ip, uniqueEmail('spray'), 'password spraying'), 401, 'invalid_credentials');
    const victim = await account(t);
    expectRateLimited(await signInFrom(t, ip, victim.email, PASSWORD), t.config.RATE_LIMIT_WINDOW_SECONDS);
    // Positive control: the same account from another address.
    expect((await signInFrom(t, freshIp(), victim.email, PASSWORD)).statusCode).toBe(200);
  });

  it('T-RATE-02 / R-39: X-Forwarded-For does not bypass the IP limit when TRUST_PROXY is off', async () => {
    const ip = freshIp();
    const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}`, 'x-real-ip': `198.51.100.${i}`, forwarded: `for=198.51.100.${i}` });
    const emails: string[] = [];
    for (let i = 0; i < PER_IP; i++) {
      emails.push(uniqueEmail('xff'));
      expectProblem(await signInFrom(t, ip, emails[i]!, 'rotating xff', spoofed(i)), 401, 'invalid_credentials');
    }
    expectRateLimited(await signInFrom(t, ip, uniqueEmail('xff'), 'rotating xff', spoofed(99)), t.config.RATE_LIMIT_WINDOW_SECONDS);

    // The activity log records the TCP peer, not the forged header.
    const mine = (await t.deps.db.select().from(activityEvents).where(eq(activityEvents.type, 'auth.sign_in_failed'))).filter((e) =>
      emails.includes((e.data as { email?: string }).email ?? ''),
    );
    expect(mine).toHaveLength(PER_IP);
    for (const e of mine) expect(e.ip).toBe(ip);
  });

  it('the sign-up per-IP limit → 429 rate_limited', async () => {
    const ip = freshIp();
    const signUp = (email: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/sign-up', remoteAddress: ip, headers: { origin: ORIGIN }, payload: { email, password: PASSWORD, name: 'Limited' } }) as Promise<Res>;
    expect((await signUp(uniqueEmail('su'))).statusCode).toBe(202);
    expect((await signUp(uniqueEmail('su'))).statusCode).toBe(202);
    const email = uniqueEmail('su');
    expectRateLimited(await signUp(email), t.config.RATE_LIMIT_WINDOW_SECONDS);
    expect(await t.deps.db.select().from(users).where(eq(users.email, email))).toEqual([]);
  });
});

describe('T-RATE-02 positive control: with TRUST_PROXY on, the forwarded address is the client', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_SIGN_IN_PER_IP: String(PER_IP), TRUST_PROXY: 'true' } });
  });
  afterAll(() => t.close());

  it('rotating X-Forwarded-For behind a trusted proxy spreads requests over buckets', async () => {
    const proxy = freshIp();
    for (let i = 0; i < PER_IP + 2; i++) {
      const res = await signInFrom(t, proxy, uniqueEmail('behind-proxy'), 'wrong password', { 'x-forwarded-for': `198.51.100.${i}` });
      expectProblem(res, 401, 'invalid_credentials');
    }
    // …while one forwarded client is still limited.
    for (let i = 0; i < PER_IP; i++) expectProblem(await signInFrom(t, proxy, uniqueEmail('same-client'), 'wrong password', { 'x-forwarded-for': '192.0.2.7' }), 401, 'invalid_credentials');
    expectRateLimited(await signInFrom(t, proxy, uniqueEmail('same-client'), 'wrong password', { 'x-forwarded-for': '192.0.2.7' }), t.config.RATE_LIMIT_WINDOW_SECONDS);
  });
});
