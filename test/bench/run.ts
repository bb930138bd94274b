/**
 * Gatehouse benchmark, side by side with the Better Auth peer harness
 * (`../shared/bench/peers/better-auth`): the same operations, measured the same way
 * (each call timed on its own, CONC workers pulling the next index, ops/s = count ÷ wall time,
 * SQL statements counted at the driver, BEGIN/COMMIT included).
 *
 * Unlike the peer, which calls Better Auth's functions directly, every Gatehouse call goes
 * through the real HTTP layer in-process (`app.inject`): routing, Origin check, session cookie
 * lookup, zod validation, rate-limit bookkeeping, the use case, response serialization.
 *
 * usage:
 *   npm run bench                               every db (pglite; pg when DATABASE_URL is set) × CONCS, then a table
 *   DB=pglite CONC=8 npm run bench              one run (what the peer's run-all.sh calls as EXTRA_BENCH)
 *   npm run bench -- report <dir>               print the tables of a results folder (with better-auth / raw-sql files)
 *   npm run bench -- compare <before> <after>   two Gatehouse result folders side by side
 *
 * env: DB (pglite | pg), N (2000), CONC (one run) or CONCS ("1 8"), LIST_REPS (200), BULK (10000),
 *      BULK_REPS (3), DATABASE_URL (a server: each run creates and drops its own database),
 *      PG_POOL (10), DATA_DIR (OS temp folder), RESULTS_DIR, KEEP_DATA.
 * Benchmarks never fail on timing; a run exits non-zero only when a call gives a wrong answer.
 */
import { spawnSync } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app/build-app.js';
import { testConfig } from '../../src/app/config.js';
import { deriveKeys } from '../../src/app/keys.js';
import { startAutoAnalyze } from '../../src/db/auto-analyze.js';
import { openDatabase, rowsOf, runMigrations, type Database } from '../../src/db/client.js';
import { deriveToken } from '../../src/lib/crypto.js';
import { INVITATION_TOKEN_PURPOSE } from '../../src/modules/invitations/emails.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const APP_URL = 'http://gatehouse.bench';
const int = (v: string | undefined, d: number) => (v === undefined || v === '' ? d : Number(v));

// ---------------------------------------------------------------- stats (same fields as lib/stats.mjs)

const counter: { statements: number; trace: string[] | null } = { statements: 0, trace: null };
/** TRACE_SQL=1 (with CONC=1): print the statements of each phase's last call. */
const TRACE = !!process.env.TRACE_SQL;
const note = <T>(a: unknown[], run: () => T): T => {
  counter.statements++;
  const trace = counter.trace;
  if (!trace) return run();
  const q = a[0] as string | { text?: string };
  const text = (typeof q === 'string' ? q : (q?.text ?? '?')).replace(/\s+/g, ' ').slice(0, 200);
  const t = performance.now();
  const out = run();
  const done = () => trace.push(`${(performance.now() - t).toFixed(2).padStart(8)} ms  ${text}`);
  if (out instanceof Promise) out.then(done, done);
  else done();
  return out;
};

export interface PhaseResult {
  key: string;
  op: string;
  n: number;
  opsPerSec: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  maxms: number;
  meanms: number;
  concurrency: number;
  sqlPerOp: number;
  [extra: string]: unknown;
}

function summarize(op: string, lat: number[], wallMs: number) {
  const s = [...lat].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return {
    op,
    n: s.length,
    opsPerSec: +(s.length / (wallMs / 1000)).toFixed(1),
    p50ms: +q(50).toFixed(2),
    p90ms: +q(90).toFixed(2),
    p99ms: +q(99).toFixed(2),
    maxms: +s[s.length - 1]!.toFixed(2),
    meanms: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2),
  };
}

const OP_TIMEOUT_MS = 30_000;
async function watchdog<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no answer after ${OP_TIMEOUT_MS} ms: ${what}`)), OP_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** PROFILE=createInvitation,acceptInvitation: a V8 CPU profile of just those phases (PROFILE_DIR, default cwd). */
const PROFILE = new Set((process.env.PROFILE ?? '').split(',').filter(Boolean));
async function profiled<T>(key: string, fn: () => Promise<T>): Promise<T> {
  if (!PROFILE.has(key)) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = path.resolve(process.env.PROFILE_DIR ?? '.', `gatehouse-${process.env.DB}-c${process.env.CONC ?? 1}-${key.replace(/\W+/g, '_')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log('profile:', file);
    session.disconnect();
  }
}

/** Runs fn(i) for i in [0, count) with `concurrency` workers; each call timed alone. */
function phase(key: string, op: string, count: number, concurrency: number, fn: (i: number) => Promise<void>, extra: Record<string, unknown> = {}): Promise<PhaseResult> {
  return profiled(key, () => timedPhase(key, op, count, concurrency, fn, extra));
}

async function timedPhase(key: string, op: string, count: number, concurrency: number, fn: (i: number) => Promise<void>, extra: Record<string, unknown> = {}): Promise<PhaseResult> {
  const lat = new Array<number>(count);
  let next = 0;
  const q0 = counter.statements;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        if (TRACE && concurrency === 1 && i === count - 1) counter.trace = [];
        const t = performance.now();
        await watchdog(fn(i), op);
        lat[i] = performance.now() - t;
        if (counter.trace) {
          console.log(`-- ${op}: ${counter.trace.length} statements\n   ${counter.trace.join('\n   ')}`);
          counter.trace = null;
        }
      }
    }),
  );
  const wall = performance.now() - t0;
  const res: PhaseResult = { key, ...summarize(op, lat, wall), concurrency, sqlPerOp: +((counter.statements - q0) / count).toFixed(1), ...extra };
  console.log(JSON.stringify(res));
  return res;
}

// ---------------------------------------------------------------- statement counting at the driver

/** node-postgres: every statement goes through some pooled client's `query` (pool.query included). */
function countPgStatements(database: Database) {
  const pool = (database.db as unknown as { $client: pg.Pool }).$client;
  pool.on('connect', (client: pg.PoolClient) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...a: unknown[]) => note(a, () => query(...a));
  });
}

/** PGlite: `query`/`exec` outside a transaction; inside, BEGIN + COMMIT/ROLLBACK and the tx's own calls. */
function countPgliteStatements(database: Database) {
  const client = (database.db as unknown as { $client: PGlite }).$client;
  type Fn = (...a: unknown[]) => Promise<unknown>;
  const wrap = (target: object, name: string) => {
    const t = target as Record<string, Fn>;
    const orig = t[name]!.bind(target);
    t[name] = (...a) => note(a, () => orig(...a));
  };
  wrap(client, 'query');
  wrap(client, 'exec');
  const transaction = client.transaction.bind(client);
  (client as unknown as { transaction: Fn }).transaction = ((cb: (tx: object) => Promise<unknown>) => {
    note(['BEGIN'], () => 0);
    note(['COMMIT'], () => 0);
    return transaction(async (tx) => {
      wrap(tx, 'query');
      wrap(tx, 'exec');
      return cb(tx);
    });
  }) as Fn;
}

// ---------------------------------------------------------------- one run: one database × one concurrency

function fsType(dir: string): string | undefined {
  const MAGIC: Record<number, string> = { 0x01021994: 'tmpfs', 0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };
  try {
    const t = statfsSync(dir).type;
    return MAGIC[t] ?? `0x${t.toString(16)}`;
  } catch {
    return undefined;
  }
}

function dirBytes(p: string): number {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((a, name) => a + dirBytes(path.join(p, name)), 0);
}

function hostInfo() {
  const cpus = os.cpus();
  return { node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, cpus: cpus.length, cpuModel: cpus[0]?.model?.trim(), memGB: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg().map((l) => +l.toFixed(2)) };
}

const pkgVersion = (name: string): string | undefined => {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
};

interface Opened {
  database: Database;
  databaseUrl?: string;
  info: Record<string, unknown>;
  close(): Promise<{ dbBytes?: number }>;
}

async function openBench(kind: string, opts: { dataDir: string; databaseUrl?: string; pool: number; keep: boolean }): Promise<Opened> {
  if (kind === 'pglite') {
    mkdirSync(opts.dataDir, { recursive: true });
    const dir = mkdtempSync(path.join(opts.dataDir, 'gh-bench-pglite-'));
    const remove = () => (opts.keep ? undefined : rmSync(dir, { recursive: true, force: true }));
    process.on('exit', remove);
    const fs = fsType(dir);
    if (fs === 'tmpfs') console.warn(`warning: ${dir} is on tmpfs (RAM): commits are not written to disk`);
    const database = await openDatabase({ dataDir: dir });
    countPgliteStatements(database);
    // As `gatehouse serve` does on the embedded database (src/app/runtime.ts).
    const analyzer = startAutoAnalyze(database.db);
    const version = rowsOf<{ server_version: string }>(await database.db.execute(sql`show server_version`))[0]?.server_version;
    return {
      database,
      info: { storage: 'data folder (temporary)', fs, version },
      async close() {
        await analyzer.stop();
        await database.close();
        const dbBytes = dirBytes(dir);
        remove();
        return { dbBytes };
      },
    };
  }
  if (kind === 'pg') {
    if (!opts.databaseUrl) throw new Error('DB=pg needs DATABASE_URL (a server and a database to connect to; the run creates its own database)');
    const name = `gh_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: opts.databaseUrl });
    await admin.connect();
    const show = async (k: string) => (await admin.query<Record<string, string>>(`show ${k}`)).rows[0]![k];
    await admin.query(`create database ${name}`);
    const info = { database: '(fresh per run)', version: await show('server_version'), synchronous_commit: await show('synchronous_commit'), pool: opts.pool };
    const url = new URL(opts.databaseUrl);
    url.pathname = `/${name}`;
    const drop = async () => {
      if (opts.keep) return console.log(`KEEP_DATA: database ${name} kept`);
      await admin.query(`drop database if exists ${name} with (force)`);
    };
    process.once('SIGINT', () => void drop().finally(() => process.exit(130)));
    const database = await openDatabase({ databaseUrl: url.toString(), poolSize: opts.pool });
    countPgStatements(database);
    return {
      database,
      databaseUrl: url.toString(),
      info,
      async close() {
        const size = await admin.query<{ b: string }>('select pg_database_size($1)::bigint as b', [name]);
        await database.close();
        await drop();
        await admin.end();
        return { dbBytes: Number(size.rows[0]?.b ?? 0) };
      },
    };
  }
  throw new Error(`unknown DB "${kind}" (pglite | pg)`);
}

interface Res {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

function client(app: FastifyInstance, cookie?: string) {
  const send = async (method: 'GET' | 'POST', url: string, body?: unknown): Promise<Res> =>
    (await app.inject({
      method,
      url,
      headers: { ...(cookie ? { cookie } : {}), ...(method === 'POST' ? { origin: APP_URL } : {}) },
      ...(body !== undefined ? { payload: body as object } : {}),
    })) as unknown as Res;
  return { get: (url: string) => send('GET', url), post: (url: string, body: unknown = {}) => send('POST', url, body) };
}

function expectStatus(res: Res, status: number, what: string): any {
  if (res.statusCode !== status) throw new Error(`${what}: expected ${status}, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  return res.body ? JSON.parse(res.body) : null;
}

function cookieOf(res: Res): string {
  const raw = res.headers['set-cookie'];
  const c = (Array.isArray(raw) ? raw : [String(raw)]).find((x) => x.startsWith('gh_session='));
  if (!c) throw new Error('no session cookie');
  return c.split(';')[0]!;
}

export interface RunResult {
  tool: 'gatehouse';
  version: string;
  db: string;
  dbInfo: Record<string, unknown>;
  N: number;
  CONC: number;
  LIST_REPS: number;
  BULK: number;
  note: string;
  packages: Record<string, string | undefined>;
  host: ReturnType<typeof hostInfo>;
  startedAt: string;
  migrateMs: number;
  phases: PhaseResult[];
  dbBytes?: number;
  rssMB?: number;
  hostAfter?: ReturnType<typeof hostInfo>;
}

async function runOne(kind: string, N: number, CONC: number, LIST_REPS: number, BULK: number, BULK_REPS: number): Promise<RunResult> {
  const opened = await openBench(kind, {
    dataDir: process.env.DATA_DIR || os.tmpdir(),
    databaseUrl: process.env.DATABASE_URL || process.env.PG_URL,
    pool: int(process.env.PG_POOL, 10),
    keep: !!process.env.KEEP_DATA && !/^(0|false|no)$/i.test(process.env.KEEP_DATA),
  });
  try {
    const t = performance.now();
    await runMigrations(opened.database, opened.databaseUrl);
    const migrateMs = Math.round(performance.now() - t);
    const big = '1000000';
    const config = testConfig({
      APP_URL,
      LOG_LEVEL: 'silent',
      RUN_WORKER: 'false',
      ...(opened.databaseUrl ? { DATABASE_URL: opened.databaseUrl } : {}),
      DATABASE_POOL_SIZE: String(int(process.env.PG_POOL, 10)),
      RATE_LIMIT_SIGN_IN_PER_IP: big,
      RATE_LIMIT_SIGN_IN_PER_ACCOUNT: big,
      RATE_LIMIT_SIGN_UP_PER_IP: big,
      RATE_LIMIT_TOKEN_LOOKUPS_PER_IP: big,
      INVITES_PER_INVITER_PER_HOUR: '10000000',
      INVITES_PER_WORKSPACE_PER_HOUR: '10000000',
      BULK_INVITE_MAX: String(Math.max(BULK, 10_000)),
    });
    const { app, deps } = await buildApp({ config, db: opened.database.db, keys: deriveKeys(randomBytes(32)) });
    await app.ready();

    const result: RunResult = {
      tool: 'gatehouse',
      version: (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      db: kind,
      dbInfo: opened.info,
      N,
      CONC,
      LIST_REPS,
      BULK,
      note: 'through the HTTP layer in-process (app.inject): Origin check, session cookie lookup, zod validation and serialization included; sign-up hashes with argon2id m=19456,t=2,p=1 and returns no session, sign-in does',
      packages: { fastify: pkgVersion('fastify'), 'drizzle-orm': pkgVersion('drizzle-orm'), pg: pkgVersion('pg'), '@electric-sql/pglite': pkgVersion('@electric-sql/pglite'), '@node-rs/argon2': pkgVersion('@node-rs/argon2') },
      host: hostInfo(),
      startedAt: new Date().toISOString(),
      migrateMs,
      phases: [],
    };

    // setup (not timed): the owner and the workspace everyone is invited into
    const anon = client(app);
    expectStatus(await anon.post('/api/auth/sign-up', { email: 'owner@bench.test', password: 'owner-password-123', name: 'Owner' }), 202, 'owner sign-up');
    const ownerCookie = cookieOf(await anon.post('/api/auth/sign-in', { email: 'owner@bench.test', password: 'owner-password-123' }));
    const owner = client(app, ownerCookie);
    const acme = expectStatus(await owner.post('/api/workspaces', { name: 'Acme' }), 201, 'create Acme') as { id: string };

    // 1) sign-up (argon2id hash, user + email verification + outbox + activity in one transaction; no session)
    const users: { cookie: string; token?: string }[] = new Array(N);
    result.phases.push(
      await phase('signUp', 'signUp (argon2id; no session)', N, CONC, async (i) => {
        expectStatus(await anon.post('/api/auth/sign-up', { email: `user${i}@bench.test`, password: `password-${i}-xyz`, name: `User ${i}` }), 202, 'sign-up');
      }),
    );
    // 1b) sign-in (argon2id verify, session + activity): gives the cookie Better Auth's sign-up returns
    result.phases.push(
      await phase('signIn', 'signIn (argon2id verify; new session)', N, CONC, async (i) => {
        const res = await anon.post('/api/auth/sign-in', { email: `user${i}@bench.test`, password: `password-${i}-xyz` });
        expectStatus(res, 200, 'sign-in');
        users[i] = { cookie: cookieOf(res) };
      }),
    );
    // 2) every user creates their own workspace (workspace + owner member + activity, one transaction)
    result.phases.push(
      await phase('createOrganization', 'createWorkspace', N, CONC, async (i) => {
        expectStatus(await client(app, users[i]!.cookie).post('/api/workspaces', { name: `WS ${i}` }), 201, 'create workspace');
      }),
    );
    // 3) the owner invites the N users into Acme, one call each
    result.phases.push(
      await phase('createInvitation', 'createInvitation (1 email per call)', N, CONC, async (i) => {
        const body = expectStatus(await owner.post(`/api/workspaces/${acme.id}/invitations`, { emails: [`user${i}@bench.test`], role: 'user' }), 201, 'invite') as { created: unknown[] };
        if (body.created.length !== 1) throw new Error(`invite ${i}: not created: ${JSON.stringify(body)}`);
      }),
    );
    // the link each user would find in their mail: rebuilt exactly as the mail worker does (not timed)
    const inv = rowsOf<{ id: string; email: string; token_nonce: string }>(
      await deps.db.execute(sql`select id, email, token_nonce from invitations where workspace_id = ${acme.id} and status = 'pending'`),
    );
    for (const r of inv) users[Number(/^user(\d+)@/.exec(r.email)![1])]!.token = deriveToken(deps.keys.tokens, INVITATION_TOKEN_PURPOSE, r.id, r.token_nonce);
    // 4) each user accepts their invitation with their own session
    result.phases.push(
      await phase('acceptInvitation', 'acceptInvitation (by link, own session)', N, CONC, async (i) => {
        const u = users[i]!;
        const body = expectStatus(await client(app, u.cookie).post(`/api/invitations/${u.token}/accept`), 200, 'accept') as { memberId?: string };
        if (!body.memberId) throw new Error(`accept ${i}: no member`);
      }),
    );
    // 5) the owner lists members: first page of 100, then all N+1 by keyset pages of 200
    result.phases.push(
      await phase('listMembers(limit=100)', 'listMembers(limit=100)', LIST_REPS, CONC, async () => {
        const body = expectStatus(await owner.get(`/api/workspaces/${acme.id}/members?limit=100`), 200, 'list') as { items: unknown[] };
        if (body.items.length !== Math.min(100, N + 1)) throw new Error(`expected 100 members, got ${body.items.length}`);
      }),
    );
    let pagesPerWalk = 0;
    result.phases.push(
      await phase(
        'listMembers(all)',
        `listMembers(all ${N + 1}, pages of 200)`,
        Math.max(10, Math.round(LIST_REPS / 10)),
        CONC,
        async () => {
          let cursor: string | null = null;
          let seen = 0;
          let pages = 0;
          do {
            const body = expectStatus(
              await owner.get(`/api/workspaces/${acme.id}/members?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
              200,
              'list page',
            ) as { items: unknown[]; nextCursor: string | null };
            seen += body.items.length;
            pages++;
            cursor = body.nextCursor;
          } while (cursor);
          if (seen !== N + 1) throw new Error(`expected ${N + 1} members, got ${seen}`);
          pagesPerWalk = pages;
        },
      ),
    );
    result.phases[result.phases.length - 1]!.requestsPerOp = pagesPerWalk;
    // 6) bulk: BULK addresses in one call, into a fresh workspace each time (always one call at a time)
    const bulkWs: string[] = [];
    for (let r = 0; r < BULK_REPS; r++) bulkWs.push((expectStatus(await owner.post('/api/workspaces', { name: `Bulk ${r}` }), 201, 'create bulk ws') as { id: string }).id);
    let bulkBytes = 0;
    result.phases.push(
      await phase(
        'bulkInvite',
        `bulkInvite(${BULK} emails in one call)`,
        BULK_REPS,
        1,
        async (r) => {
          const emails = Array.from({ length: BULK }, (_, i) => `bulk${r}-${i}@bench.test`);
          const res = await owner.post(`/api/workspaces/${bulkWs[r]}/invitations`, { emails, role: 'user' });
          const body = expectStatus(res, 201, 'bulk invite') as { created: unknown[] };
          if (body.created.length !== BULK) throw new Error(`bulk: created ${body.created.length} of ${BULK}`);
          bulkBytes = res.body.length;
        },
        { emailsPerOp: BULK },
      ),
    );
    result.phases[result.phases.length - 1]!.responseBytes = bulkBytes;

    await app.close();
    result.hostAfter = hostInfo();
    Object.assign(result, await opened.close(), { rssMB: Math.round(process.memoryUsage().rss / 1e6) });
    return result;
  } catch (e) {
    await opened.close().catch(() => {});
    throw e;
  }
}

// ---------------------------------------------------------------- report

interface AnyResult {
  tool: string;
  db: string;
  N: number;
  CONC: number;
  phases: (Partial<PhaseResult> & { op: string; opsPerSec: number; p50ms: number; p99ms: number })[];
  host?: { cpus: number; cpuModel?: string; node: string };
}

const KEYS = ['signUp', 'signIn', 'createOrganization', 'createInvitation', 'acceptInvitation', 'listMembers(limit=100)', 'listMembers(all)', 'bulkInvite'];
const LABEL: Record<string, string> = {
  signUp: 'sign-up',
  signIn: 'sign-in',
  createOrganization: 'create workspace / organization',
  createInvitation: 'create invitation',
  acceptInvitation: 'accept invitation',
  'listMembers(limit=100)': 'list members, first 100',
  'listMembers(all)': 'list members, all N+1',
  bulkInvite: 'bulk invite (one call)',
};
const keyOf = (p: { key?: string; op: string }) =>
  p.key ?? (p.op.startsWith('signUp') ? 'signUp' : p.op.startsWith('listMembers(all') ? 'listMembers(all)' : (KEYS.find((k) => p.op.startsWith(k)) ?? p.op));

export function report(dir: string): string {
  const rows = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as AnyResult)
    .filter((r) => r.tool && Array.isArray(r.phases));
  const out: string[] = [];
  const combos = [...new Set(rows.filter((r) => r.tool === 'gatehouse').map((r) => JSON.stringify([r.db, r.CONC, r.N])))].map((s) => JSON.parse(s) as [string, number, number]);
  combos.sort((a, b) => a[0].localeCompare(b[0]) * -1 || a[1] - b[1]);
  for (const [db, conc, n] of combos) {
    const of = (tool: string) => rows.find((r) => r.tool === tool && r.db === db && r.CONC === conc && r.N === n);
    const gh = of('gatehouse')!;
    const ba = of('better-auth');
    const raw = of('raw-sql');
    out.push(`\n#### ${db}, concurrency ${conc}, N=${n}\n`);
    out.push('| operation | Gatehouse ops/s | p50 ms | p99 ms | SQL/op | Better Auth ops/s | p50 ms | p99 ms | SQL/op | raw SQL ops/s | Gatehouse ÷ Better Auth |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const key of KEYS) {
      const g = gh.phases.find((p) => keyOf(p) === key);
      if (!g) continue;
      const b = ba?.phases.find((p) => keyOf(p) === key);
      const r = raw?.phases.find((p) => keyOf(p) === key);
      const label = key === 'bulkInvite' ? `${LABEL[key]}: ${String(g.emailsPerOp ?? '')} emails` : LABEL[key]!;
      const ratio = b ? `${(g.opsPerSec / b.opsPerSec).toFixed(2)}×` : '';
      out.push(
        `| ${label} | ${g.opsPerSec} | ${g.p50ms} | ${g.p99ms} | ${g.sqlPerOp ?? ''} | ${b ? `${b.opsPerSec} | ${b.p50ms} | ${b.p99ms} | ${b.sqlPerOp ?? ''}` : ' | | | '} | ${r ? r.opsPerSec : ''} | ${ratio} |`,
      );
    }
  }
  const host = rows.find((r) => r.tool === 'gatehouse')?.host;
  if (host) out.push(`\nhost: ${host.cpus} × ${host.cpuModel}, Node ${host.node}`);
  return out.join('\n');
}

/** Two Gatehouse result folders side by side (e.g. before and after a change). */
export function compare(beforeDir: string, afterDir: string): string {
  const load = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.startsWith('gatehouse-') && f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as AnyResult);
  const before = load(beforeDir);
  const out = ['| db | conc | operation | before ops/s | p50 ms | SQL/op | after ops/s | p50 ms | SQL/op | after ÷ before |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const a of load(afterDir).sort((x, y) => y.db.localeCompare(x.db) || x.CONC - y.CONC)) {
    const b = before.find((r) => r.db === a.db && r.CONC === a.CONC && r.N === a.N);
    if (!b) continue;
    for (const key of KEYS) {
      const pa = a.phases.find((p) => keyOf(p) === key);
      const pb = b.phases.find((p) => keyOf(p) === key);
      if (!pa || !pb) continue;
      out.push(`| ${a.db} | ${a.CONC} | ${LABEL[key]} | ${pb.opsPerSec} | ${pb.p50ms} | ${pb.sqlPerOp} | ${pa.opsPerSec} | ${pa.p50ms} | ${pa.sqlPerOp} | ${(pa.opsPerSec / pb.opsPerSec).toFixed(2)}× |`);
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === 'report') {
    console.log(report(path.resolve(argv[1] ?? process.env.RESULTS_DIR ?? '.')));
    return;
  }
  if (argv[0] === 'compare') {
    if (!argv[1] || !argv[2]) throw new Error('usage: run.ts compare <before results folder> <after results folder>');
    console.log(compare(path.resolve(argv[1]), path.resolve(argv[2])));
    return;
  }
  const N = int(process.env.N, 2000);
  const LIST_REPS = int(process.env.LIST_REPS, 200);
  const BULK = int(process.env.BULK, 10_000);
  const BULK_REPS = int(process.env.BULK_REPS, 3);
  const resultsDir = path.resolve(process.env.RESULTS_DIR || path.join(os.tmpdir(), `gatehouse-bench-${new Date().toISOString().replace(/[:.]/g, '-')}`));

  if (process.env.DB) {
    // one run, in this process
    const CONC = int(process.env.CONC, 1);
    console.log(`gatehouse: db=${process.env.DB} N=${N} CONC=${CONC} LIST_REPS=${LIST_REPS} BULK=${BULK}×${BULK_REPS} (HTTP layer via app.inject)`);
    const result = await runOne(process.env.DB, N, CONC, LIST_REPS, BULK, BULK_REPS);
    mkdirSync(resultsDir, { recursive: true });
    const out = path.join(resultsDir, `gatehouse-${result.db}-N${N}-c${CONC}.json`);
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log('wrote', out, '| migrateMs', result.migrateMs, '| rssMB', result.rssMB);
    return;
  }

  // every database × concurrency, each in its own process (a PGlite instance never shares a heap with the next run)
  const dbs = (process.env.DBS ?? (process.env.DATABASE_URL ? 'pglite pg' : 'pglite')).split(/[\s,]+/).filter(Boolean);
  const concs = (process.env.CONC ?? process.env.CONCS ?? '1 8').split(/[\s,]+/).filter(Boolean).map(Number);
  if (!process.env.DATABASE_URL) console.log('note: DATABASE_URL is not set, PostgreSQL is skipped');
  console.log(`gatehouse bench: dbs=${dbs.join(',')} concs=${concs.join(',')} N=${N} -> ${resultsDir}`);
  let failed = false;
  for (const conc of concs) {
    for (const db of dbs) {
      console.log(`== gatehouse ${db} conc=${conc}`);
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, DB: db, CONC: String(conc), RESULTS_DIR: resultsDir } });
      if (r.status !== 0) failed = true;
    }
  }
  console.log(report(resultsDir));
  if (failed) process.exitCode = 1;
}

await main();
