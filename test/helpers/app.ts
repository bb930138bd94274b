import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type GatehouseApp } from '../../src/app/build-app.js';
import { testConfig, type Config } from '../../src/app/config.js';
import { ManualClock } from '../../src/app/context.js';
import { deriveKeys } from '../../src/app/keys.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import type { Mailer } from '../../src/email/mailer.js';

export const APP_URL = 'http://gatehouse.test';
export const ORIGIN = APP_URL;

let templateBlob: Blob | null = null;

/** A fresh database for this test file: PGlite from the migrated tarball, or a PG clone of the template. */
export async function freshDatabase(): Promise<{ database: Database; databaseUrl?: string }> {
  const pgTemplate = inject('pgTemplateDb');
  if (pgTemplate) {
    const name = `gh_t_${process.ppid}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const base = inject('pgBaseUrl');
    // The template is named after the vitest main process; workers see it as their parent.
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name} template ${pgTemplate}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    return { database: await openDatabase({ databaseUrl: url.toString(), poolSize: 20 }), databaseUrl: url.toString() };
  }
  templateBlob ??= new Blob([readFileSync(inject('pgliteTemplate'))]);
  return { database: await openDatabase({ pgliteLoadDataDir: templateBlob }) };
}

export interface TestApp extends GatehouseApp {
  clock: ManualClock;
  database: Database;
  databaseUrl: string | undefined;
  config: Config;
  close(): Promise<void>;
}

export const TEST_MASTER_KEY = randomBytes(32);

export async function createTestApp(opts: { config?: Record<string, string>; mailer?: Mailer; clock?: ManualClock; database?: Database; databaseUrl?: string } = {}): Promise<TestApp> {
  const fresh = opts.database ? { database: opts.database, databaseUrl: opts.databaseUrl } : await freshDatabase();
  const config = testConfig({ APP_URL, ...(fresh.databaseUrl ? { DATABASE_URL: fresh.databaseUrl } : {}), ...opts.config });
  const clock = opts.clock ?? new ManualClock(new Date('2026-11-25T12:00:00.000Z'));
  const built = await buildApp({ config, db: fresh.database.db, keys: deriveKeys(TEST_MASTER_KEY), clock, ...(opts.mailer ? { mailer: opts.mailer } : {}) });
  await built.app.ready();
  return {
    ...built,
    clock,
    config,
    database: fresh.database,
    databaseUrl: fresh.databaseUrl,
    async close() {
      await built.app.close();
      if (!opts.database) await fresh.database.close();
    },
  };
}

export type Res = LightMyRequestResponse & { body: string };

export interface Caller {
  get(url: string, headers?: Record<string, string>): Promise<Res>;
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  patch(url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  delete(url: string, headers?: Record<string, string>): Promise<Res>;
  put(url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
}

/** Requests as a browser would send them: with the session cookie (if any) and our Origin. */
export function caller(app: FastifyInstance, cookie?: string): Caller {
  const send = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url,
      headers: { ...(cookie ? { cookie } : {}), ...(method !== 'GET' ? { origin: ORIGIN } : {}), ...headers },
      ...(body !== undefined ? { payload: body as object } : {}),
    }) as Promise<Res>;
  return {
    get: (url, headers) => send('GET', url, undefined, headers),
    post: (url, body, headers) => send('POST', url, body ?? {}, headers),
    patch: (url, body, headers) => send('PATCH', url, body, headers),
    delete: (url, headers) => send('DELETE', url, undefined, headers),
    put: (url, body, headers) => send('PUT', url, body, headers),
  };
}

export function json<T = any>(res: Res): T {
  return JSON.parse(res.body) as T;
}
