import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from './client.js';

/** Autovacuum's defaults on a PostgreSQL server: analyze after 50 rows + 10 % of the table changed. */
const THRESHOLD_ROWS = 50;
const THRESHOLD_FRACTION = 0.1;
const INTERVAL_MS = 30_000;

export interface AutoAnalyze {
  /** One pass: analyzes the tables that need it; returns their names. */
  runOnce(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * PGlite has no autovacuum, so its planner never has statistics unless someone runs ANALYZE, and
 * as tables grow plans go wrong: without them, checking one address against a workspace's members
 * walked every member (4.6 ms at 500 members) where an index probe takes 0.6 ms. This does what
 * autovacuum does for statistics on a server: at start, tables never analyzed; then every 30 s,
 * tables changed by more than 50 rows + 10 % since their last analyze. PostgreSQL servers have
 * autovacuum and do not need it.
 */
export function startAutoAnalyze(db: Db, opts: { intervalMs?: number; onError?: (err: unknown) => void } = {}): AutoAnalyze {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const analyze = async (tables: string[]) => {
    for (const table of tables) await db.execute(sql`analyze ${sql.identifier(table)}`);
    return tables;
  };
  const neverAnalyzed = async () =>
    rowsOf<{ relname: string }>(
      await db.execute(sql`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' and c.reltuples < 0`),
    ).map((r) => r.relname);
  const changed = async () => {
    // Table counters are flushed to the statistics views lazily; ask for it first.
    await db.execute(sql`select pg_stat_force_next_flush()`);
    return rowsOf<{ relname: string }>(
      await db.execute(sql`select relname from pg_stat_user_tables where n_mod_since_analyze > ${THRESHOLD_ROWS}::int + ${THRESHOLD_FRACTION}::float8 * n_live_tup`),
    ).map((r) => r.relname);
  };

  let first = true;
  const runOnce = async () => {
    const tables = first ? [...new Set([...(await neverAnalyzed()), ...(await changed())])] : await changed();
    first = false;
    return analyze(tables);
  };
  /** Passes never overlap: each one starts after the previous one ended. */
  const queued = () => {
    const pass = running.then(runOnce);
    running = pass.catch(() => undefined);
    return pass;
  };
  const tick = () =>
    void queued()
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, opts.intervalMs ?? INTERVAL_MS);
        timer.unref();
      });
  timer = setTimeout(tick, 0);
  timer.unref();

  return {
    runOnce: queued,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
