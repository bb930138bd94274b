import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, type Database } from '../../src/db/client.js';
import { outbox } from '../../src/db/schema/index.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import { freshDatabase } from '../helpers/app.js';

let database: Database;
beforeAll(async () => {
  ({ database } = await freshDatabase());
});
afterAll(() => database?.close());

const job = (id: string) => ({ id, kind: 'test.batch', payload: { id }, status: 'pending', attempts: 0, runAt: new Date(), createdAt: new Date() });
const countJobs = async (ids: string[]) =>
  Number(rowsOf<{ n: number | string }>(await database.db.execute(sql`select count(*) as n from outbox where id in ${ids}`))[0]!.n);

describe('WriteBatch: several writes in one statement', () => {
  it('runs every part once, reads back the parts asked for, and names repeated parts apart', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const batch = new WriteBatch();
    const first = batch.add('jobs', database.db.insert(outbox).values([job(a), job(b)]).returning({ id: outbox.id }), { readBack: true });
    const second = batch.add('jobs', database.db.insert(outbox).values(job(c)).returning({ id: outbox.id }));
    expect([first, second]).toEqual(['jobs', 'jobs_2']);
    expect(batch.pending).toBe(true);
    await batch.send(database.db);
    expect(batch.pending).toBe(false);
    expect(batch.rows<{ id: string }>('jobs').map((r) => r.id).sort()).toEqual([a, b].sort());
    expect(await countJobs([a, b, c])).toBe(3);
    // Sending again does nothing, adding after sending is a programming error.
    await batch.send(database.db);
    expect(await countJobs([a, b, c])).toBe(3);
    expect(() => batch.add('late', database.db.insert(outbox).values(job(randomUUID())).returning({ id: outbox.id }))).toThrow(/already sent/);
  });

  it('a part that must return a row and does not fails the use case, and its transaction writes nothing', async () => {
    const written = randomUUID();
    const attempt = database.db.transaction(async (tx) => {
      const batch = new WriteBatch();
      batch.add('job', tx.insert(outbox).values(job(written)).returning({ id: outbox.id }));
      batch.add('missing', tx.update(outbox).set({ attempts: 1 }).where(eq(outbox.id, randomUUID())).returning({ id: outbox.id }), { readBack: true });
      batch.expect('missing', () => new Error('nothing matched'));
      await batch.send(tx);
    });
    await expect(attempt).rejects.toThrow('nothing matched');
    expect(await countJobs([written])).toBe(0);
  });

  it('a failing part fails the whole statement (all or nothing)', async () => {
    const id = randomUUID();
    await database.db.insert(outbox).values(job(id));
    const fresh = randomUUID();
    const batch = new WriteBatch();
    batch.add('fresh', database.db.insert(outbox).values(job(fresh)).returning({ id: outbox.id }));
    batch.add('duplicate', database.db.insert(outbox).values(job(id)).returning({ id: outbox.id }));
    await expect(batch.send(database.db)).rejects.toThrow();
    expect(await countJobs([fresh])).toBe(0);
  });

  it('refuses bad names and expectations on parts it does not read back', () => {
    const batch = new WriteBatch();
    expect(() => batch.add('Bad-Name', database.db.insert(outbox).values(job(randomUUID())).returning({ id: outbox.id }))).toThrow(/bad part name/);
    batch.add('quiet', database.db.insert(outbox).values(job(randomUUID())).returning({ id: outbox.id }));
    expect(() => batch.expect('quiet', () => new Error('x'))).toThrow(/readBack/);
    expect(() => batch.rows('quiet')).toThrow(/not sent/);
  });
});
