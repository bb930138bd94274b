import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAutoAnalyze, type AutoAnalyze } from '../../src/db/auto-analyze.js';
import { rowsOf, type Database } from '../../src/db/client.js';
import { onPostgres } from '../concurrency/support.js';
import { freshDatabase } from '../helpers/app.js';

let database: Database;
let analyzer: AutoAnalyze | undefined;
beforeAll(async () => {
  ({ database } = await freshDatabase());
});
afterAll(async () => {
  await analyzer?.stop();
  await database?.close();
});

const reltuples = async (table: string) => Number(rowsOf<{ n: number }>(await database.db.execute(sql`select reltuples as n from pg_class where relname = ${table}`))[0]!.n);

// Only the embedded database runs it (a PostgreSQL server has autovacuum, and its statistics views lag behind pooled connections).
describe.skipIf(onPostgres)('auto-analyze (the embedded database has no autovacuum)', () => {
  it('analyzes never-analyzed tables first, then only the tables changed by more than 50 rows + 10 %', async () => {
    analyzer = startAutoAnalyze(database.db, { intervalMs: 3_600_000 });
    // The pass started with the analyzer has run once this one (queued after it) resolves.
    await analyzer.runOnce();
    expect(await reltuples('outbox')).toBeGreaterThanOrEqual(0);

    await database.db.execute(sql`insert into outbox (id, kind, payload, status, attempts, run_at, created_at)
      select gen_random_uuid(), 'test', '{}', 'done', 0, now(), now() from generate_series(1, 200)`);
    expect(await analyzer.runOnce()).toContain('outbox');
    expect(await reltuples('outbox')).toBe(200);

    // A few more rows are below the threshold: nothing to do.
    await database.db.execute(sql`insert into outbox (id, kind, payload, status, attempts, run_at, created_at)
      select gen_random_uuid(), 'test', '{}', 'done', 0, now(), now() from generate_series(1, 10)`);
    expect(await analyzer.runOnce()).not.toContain('outbox');
  });
});
