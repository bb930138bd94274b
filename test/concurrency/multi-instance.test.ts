import { randomInt } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, json, ORIGIN, type Res, type TestApp } from '../helpers/app.js';
import { createUser, createWorkspace, expectProblem, PASSWORD, uniqueEmail } from '../factories.js';
import { announceSkip, count, describePg, q, startSmtpSink, type SinkMail } from './support.js';

announceSkip('multi-instance.test.ts');

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
const hasRedis = !!process.env.DATABASE_URL && (await redisReachable());
if (process.env.DATABASE_URL && !hasRedis) console.log(`[concurrency] multi-instance.test.ts: Redis at ${REDIS_URL} unreachable, shared rate-limit test SKIPPED`);

describePg('two app instances on one database (PostgreSQL)', () => {
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    sink = await startSmtpSink();
    const config = { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, OUTBOX_BATCH_SIZE: '10' };
    a = await createTestApp({ config });
    b = await createTestApp({ database: a.database, databaseUrl: a.databaseUrl, config });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await sink?.close();
  });

  it('T-CONC-06: 300 invitations drained by two workers at once → every invitation delivered exactly once', async () => {
    expect(a.mailer.kind).toBe('smtp');
    expect(b.mailer.kind).toBe('smtp');
    const owner = await createUser(a);
    const ws = await createWorkspace(owner, 'Two workers');
    const emails = Array.from({ length: 300 }, () => uniqueEmail('two'));
    const res = await owner.api.post(`/api/workspaces/${ws.id}/invitations`, { emails, role: 'user' });
    expect(res.statusCode, res.body).toBe(201);
    expect(json(res).created).toHaveLength(300);

    const [na, nb] = await Promise.all([a.worker.drain(), b.worker.drain()]);
    console.log(`[T-CONC-06] two workers handled ${na} + ${nb} outbox rows`);
    // Both took part (batches of 10 interleave), and together handled each row once.
    expect(na + nb).toBe(300);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);

    const mine = sink.mails.filter((m) => emails.includes(m.to));
    expect(mine).toHaveLength(300);
    const byMessageId = new Map<string, SinkMail[]>();
    for (const m of mine) byMessageId.set(m.messageId, [...(byMessageId.get(m.messageId) ?? []), m]);
    expect(byMessageId.size).toBe(300);
    expect(new Set(mine.map((m) => m.to)).size).toBe(300);

    // Each Message-ID is the outbox id of that invitation's job, and every job is done.
    const jobs = await q<{ id: string; email: string; status: string; attempts: number }>(
      a,
      sql`select o.id, i.email, o.status, o.attempts from outbox o join invitations i on i.id = (o.payload->>'invitationId')::uuid where i.workspace_id = ${ws.id}`,
    );
    expect(jobs).toHaveLength(300);
    for (const job of jobs) {
      expect(job.status).toBe('done');
      expect(job.attempts).toBe(1);
      expect(byMessageId.get(`<${job.id}@gatehouse>`)?.map((m) => m.to)).toEqual([job.email]);
    }
    expect(await count(a, sql`select count(*) as n from outbox where status <> 'done'`)).toBe(0);
  });

  it.skipIf(!hasRedis)('T-CONC-06: two instances with REDIS_URL share one sign-in limit per IP', async () => {
    // A unique client IP and account per run keeps these keys apart from any other run on the same Redis.
    const ip = `10.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(1, 255)}`;
    const otherIp = `10.0.${randomInt(1, 255)}.${randomInt(1, 255)}`;
    const email = uniqueEmail('rl');
    const limit = 6;
    const config = { REDIS_URL, RATE_LIMIT_SIGN_IN_PER_IP: String(limit), RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '1000', RATE_LIMIT_WINDOW_SECONDS: '60' };
    const r1 = await createTestApp({ database: a.database, databaseUrl: a.databaseUrl, config });
    const r2 = await createTestApp({ database: a.database, databaseUrl: a.databaseUrl, config });
    const redis = new Redis(REDIS_URL);
    try {
      await createUser(a, { email }); // instance without Redis: no shared key is touched
      const signIn = (t: TestApp, from: string) =>
        t.app.inject({ method: 'POST', url: '/api/auth/sign-in', remoteAddress: from, headers: { origin: ORIGIN }, payload: { email, password: PASSWORD } }) as Promise<Res>;

      const answers: Res[] = [];
      for (let i = 0; i < limit; i++) answers.push(await signIn(i % 2 ? r2 : r1, ip));
      // Within the shared limit both instances answer normally (positive control).
      for (const res of answers) expect(res.statusCode, res.body).toBe(200);
      // Request limit+1 hits the shared threshold, whichever instance gets it.
      const over1 = await signIn(r1, ip);
      const over2 = await signIn(r2, ip);
      expectProblem(over1, 429, 'rate_limited');
      expectProblem(over2, 429, 'rate_limited');
      expect(Number(over2.headers['retry-after'])).toBeGreaterThan(0);
      // Another client is unaffected.
      const other = await signIn(r2, otherIp);
      expect(other.statusCode, other.body).toBe(200);
    } finally {
      // Only our keys: they end with our IP or our account.
      const keys = [...(await redis.keys(`gatehouse-rl-*-${ip}`)), ...(await redis.keys(`gatehouse-rl-*-${otherIp}`)), ...(await redis.keys(`gatehouse-rl-*${email}`))];
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await r2.close();
      await r1.close();
    }
  });
});
