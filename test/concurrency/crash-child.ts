/**
 * A Gatehouse process the crash test (crash.test.ts) starts and kills with SIGKILL.
 * Run as `node --import tsx test/concurrency/crash-child.ts`, configured by environment:
 *   CRASH_DATABASE_URL  the PostgreSQL test database
 *   CRASH_SMTP_URL      the parent's SMTP sink
 *   CRASH_MASTER_KEY    hex; the same for every run so links are derived identically
 *   CRASH_MODE          `setup` (owner, workspace, a rolled-back bulk invite, the real bulk invite, then the worker)
 *                       or `worker` (worker only)
 *   CRASH_WAIT_FOR_GO   if set, boot, report `ready`, and start the worker only when "go" arrives on stdin
 *   CRASH_COUNT, CRASH_BATCH, CRASH_TAG
 * It reports progress as JSON lines on stdout.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../src/app/build-app.js';
import { testConfig } from '../../src/app/config.js';
import { deriveKeys } from '../../src/app/keys.js';
import { openDatabase } from '../../src/db/client.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertUser } from '../../src/modules/auth/repo.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const report = (event: string, data: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...data })}\n`);

const APP_URL = 'http://gatehouse.test';
const databaseUrl = env('CRASH_DATABASE_URL');
const mode = env('CRASH_MODE');
const tag = env('CRASH_TAG');
const total = Number(process.env.CRASH_COUNT ?? 1000);

const database = await openDatabase({ databaseUrl, poolSize: 10 });
const config = testConfig({
  APP_URL,
  DATABASE_URL: databaseUrl,
  SMTP_URL: env('CRASH_SMTP_URL'),
  OUTBOX_BATCH_SIZE: process.env.CRASH_BATCH ?? '20',
  OUTBOX_POLL_MS: '50',
  OUTBOX_LEASE_SECONDS: '5',
  BULK_INVITE_MAX: '5000',
});
const { app, worker } = await buildApp({ config, db: database.db, keys: deriveKeys(Buffer.from(env('CRASH_MASTER_KEY'), 'hex')) });
await app.ready();

if (mode === 'setup') {
  const email = `crash-owner-${tag}@example.test`;
  const password = 'correct horse battery staple';
  const now = new Date();
  await insertUser(database.db, { id: randomUUID(), email, name: 'Crash owner', passwordHash: await hashPassword(password), emailVerifiedAt: now, createdAt: now, updatedAt: now });
  const signIn = await app.inject({ method: 'POST', url: '/api/auth/sign-in', headers: { origin: APP_URL }, payload: { email, password } });
  if (signIn.statusCode !== 200) throw new Error(`sign-in failed: ${signIn.body}`);
  const cookie = String([signIn.headers['set-cookie']].flat().find((c) => c?.startsWith('gh_session='))).split(';')[0]!;
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: { origin: APP_URL, cookie }, payload });
  const ws = await post('/api/workspaces', { name: 'Crash test' });
  if (ws.statusCode !== 201) throw new Error(`workspace failed: ${ws.body}`);
  const workspaceId = ws.json().id as string;

  // T-CONC-05: a bulk invite that fails after its invitations and outbox rows were inserted. A temporary
  // CHECK constraint on activity_events refuses the activity rows, which are written last in the transaction.
  await database.db.execute(sql.raw(`alter table activity_events add constraint crash_test_refuse check (coalesce(data->>'email', '') not like 'rollback-${tag}-%') not valid`));
  const rollbackEmails = Array.from({ length: 50 }, (_, i) => `rollback-${tag}-${i}@example.test`);
  const failed = await post(`/api/workspaces/${workspaceId}/invitations`, { emails: rollbackEmails, role: 'user' });
  await database.db.execute(sql.raw('alter table activity_events drop constraint crash_test_refuse'));
  report('rollback', { status: failed.statusCode, code: failed.json().code });

  const emails = Array.from({ length: total }, (_, i) => `crash-${tag}-${i}@example.test`);
  const res = await post(`/api/workspaces/${workspaceId}/invitations`, { emails, role: 'user' });
  if (res.statusCode !== 201) throw new Error(`bulk invite failed: ${res.statusCode} ${res.body}`);
  report('invited', { workspaceId, created: res.json().created.length });
}

if (process.env.CRASH_WAIT_FOR_GO) {
  // A warm standby: booted, but its worker starts only when the parent writes "go" (right after the kill).
  report('ready');
  await new Promise<void>((resolve) => process.stdin.on('data', (d) => d.toString().includes('go') && resolve()));
}
worker.start();
report('worker-started');
// The worker's timer is unref'd: keep the process alive until the parent kills it.
setInterval(() => {}, 1000);
process.on('SIGTERM', () => {
  void app.close().then(() => database.close()).then(() => process.exit(0));
});
