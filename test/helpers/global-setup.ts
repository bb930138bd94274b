import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase, runMigrations } from '../../src/db/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    pgTemplateDb: string;
    pgBaseUrl: string;
  }
}

/**
 * Migrates once per run. On PGlite the migrated data dir is dumped to a tarball every test
 * file loads (~0.5 s); on PostgreSQL a template database is cloned per file (~25 ms).
 */
export default async function setup(project: TestProject) {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    const base = new URL(databaseUrl);
    const template = `gh_tpl_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`create database ${template}`);
    const tplUrl = new URL(databaseUrl);
    tplUrl.pathname = `/${template}`;
    const db = await openDatabase({ databaseUrl: tplUrl.toString(), poolSize: 1 });
    await runMigrations(db, tplUrl.toString());
    await db.close();
    project.provide('pgTemplateDb', template);
    project.provide('pgBaseUrl', base.toString());
    project.provide('pgliteTemplate', '');
    return async () => {
      // Dropping is slow on PG 15 (checkpoint), so it happens once, here (STACK gotcha 13).
      const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`gh_t_${process.pid}_%`]);
      for (const r of rows) await admin.query(`drop database if exists ${r.datname} with (force)`);
      await admin.query(`drop database if exists ${template} with (force)`);
      await admin.end();
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  const file = path.join(dir, 'template.tar');
  const migrated = await openDatabase({});
  await runMigrations(migrated);
  const pglite = (migrated.db as unknown as { $client: PGlite }).$client;
  const dump = await pglite.dumpDataDir('none');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await migrated.close();
  project.provide('pgliteTemplate', file);
  project.provide('pgTemplateDb', '');
  project.provide('pgBaseUrl', '');
  return () => rmSync(dir, { recursive: true, force: true });
}
