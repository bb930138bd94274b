import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { startAutoAnalyze } from '../db/auto-analyze.js';
import { openDatabase, runMigrations, type Database } from '../db/client.js';
import type { Config } from './config.js';
import { loadKeys, type Keys } from './keys.js';

/**
 * PGlite does not lock its data directory (STACK gotcha 8): two processes on one dir silently
 * diverge. One lock file per data dir, holding the owner's pid, keeps the CLI off a running server.
 */
function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'gatehouse.lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`The embedded database in ${dataDir} is in use by process ${pid}. Stop it, or use the HTTP API / DATABASE_URL.`);
    rmSync(file, { force: true });
  }
  writeFileSync(file, String(process.pid), { flag: 'wx' });
  return () => rmSync(file, { force: true });
}

export interface Runtime {
  database: Database;
  keys: Keys;
  close(): Promise<void>;
}

/** Opens the configured database (PGlite in the data dir, or PostgreSQL) and applies migrations. */
export async function openRuntime(config: Config, opts: { migrate?: boolean; /** A long-running server: maintain the embedded database. */ serve?: boolean } = {}): Promise<Runtime> {
  const log = pino({ level: config.LOG_LEVEL });
  if (!config.DATABASE_URL) mkdirSync(config.GATEHOUSE_DATA_DIR, { recursive: true });
  const unlock = config.DATABASE_URL ? () => {} : lockDataDir(config.GATEHOUSE_DATA_DIR);
  try {
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.GATEHOUSE_DATA_DIR, poolSize: config.DATABASE_POOL_SIZE });
    if (opts.migrate !== false) {
      const started = Date.now();
      await runMigrations(database, config.DATABASE_URL);
      log.debug({ ms: Date.now() - started, db: database.kind }, 'migrations applied');
    }
    const keys = loadKeys({ secretKey: config.GATEHOUSE_SECRET_KEY, dataDir: config.GATEHOUSE_DATA_DIR });
    // The embedded database has no autovacuum: keep its planner statistics fresh ourselves.
    const analyzer = database.kind === 'pglite' && opts.serve ? startAutoAnalyze(database.db, { onError: (err) => log.warn({ err }, 'auto-analyze failed') }) : null;
    return {
      database,
      keys,
      async close() {
        await analyzer?.stop();
        await database.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}
