import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { rowsOf, type Executor } from './client.js';

interface Part {
  name: string;
  statement: SQLWrapper;
  readBack: boolean;
}

/** What a statement carrying a batch puts around its own work (see `WriteBatch.carry`). */
export interface CarriedBatch {
  /** `wb_x as (…)` for the WITH list, before the statement's own CTEs. */
  ctes: SQL[];
  /** Columns for the final SELECT that read back the parts asked for. */
  columns: SQL[];
  /**
   * A condition that is always true but reads every part: put it in the WHERE of the statement's
   * own write, and PostgreSQL runs the parts to completion before that write takes its lock.
   */
  after: SQL;
}

/**
 * The writes of one use case sent as one statement: a WITH of data-modifying CTEs, one round
 * trip instead of one per table (ADR 0007). The activity append carries the batch in its own
 * statement (`recordActivity(tx, ctx, events, batch)`), so a change, its emails and its audit
 * event usually reach the database together.
 *
 * Rules, from how PostgreSQL runs data-modifying CTEs:
 * - every part runs exactly once, against the same snapshot: a part must not read rows another
 *   part writes (foreign keys are checked at the end of the statement, so a part may reference a
 *   row another part inserts);
 * - every part has a RETURNING clause: the carrying statement reads each part before its own
 *   write (`after`), so rows are locked in the order of the use case (its rows, then the activity
 *   head, as in every other transaction) and two transactions cannot deadlock over them;
 * - an error in any part (a unique violation, a failed check) fails the whole statement.
 */
export class WriteBatch {
  private readonly parts: Part[] = [];
  private readonly results = new Map<string, unknown[]>();
  private readonly expectations: { name: string; onEmpty: () => Error | Promise<Error> }[] = [];
  private sent = false;

  /**
   * Adds a data-modifying statement with a RETURNING clause under a name (made unique: `outbox`,
   * `outbox_2`, …), which it returns. With `readBack`, its RETURNING rows are read back by `rows(name)`.
   */
  add(name: string, statement: SQLWrapper, opts: { readBack?: boolean } = {}): string {
    if (this.sent) throw new Error('WriteBatch: already sent');
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`WriteBatch: bad part name "${name}"`);
    let unique = name;
    for (let n = 2; this.parts.some((p) => p.name === `wb_${unique}`); n++) unique = `${name}_${n}`;
    this.parts.push({ name: `wb_${unique}`, statement, readBack: !!opts.readBack });
    return unique;
  }

  /**
   * Part `name` (added with `readBack`) must return a row, or the use case fails with the error
   * `onEmpty` gives once the batch was sent (thrown from `send` or from the statement carrying
   * the batch, so the transaction rolls back). For guarded writes such as "accept if still pending".
   */
  expect(name: string, onEmpty: () => Error | Promise<Error>): void {
    if (!this.parts.some((p) => p.name === `wb_${name}` && p.readBack)) throw new Error(`WriteBatch: expect() needs a part "${name}" added with readBack`);
    this.expectations.push({ name, onEmpty });
  }

  get pending(): boolean {
    return !this.sent && this.parts.length > 0;
  }

  /** The RETURNING rows of a part, once the batch was sent (JSON: timestamps come back as strings). */
  rows<T = Record<string, unknown>>(name: string): T[] {
    if (!this.sent) throw new Error('WriteBatch: not sent yet');
    return (this.results.get(`wb_${name}`) ?? []) as T[];
  }

  /** For a statement that carries the batch; call `received` with its result row afterwards. */
  carry(): CarriedBatch {
    if (!this.pending) return { ctes: [], columns: [], after: sql`true` };
    const reads = this.parts.map((p) => sql`(select count(*) from ${sql.identifier(p.name)})`);
    return {
      ctes: this.parts.map((p) => sql`${sql.identifier(p.name)} as (${p.statement.getSQL()})`),
      columns: this.parts
        .filter((p) => p.readBack)
        .map((p) => sql`(select coalesce(json_agg(r), '[]'::json) from ${sql.identifier(p.name)} r) as ${sql.identifier(p.name)}`),
      after: sql`(${sql.join(reads, sql` + `)}) >= 0`,
    };
  }

  /** Takes the carrying statement's row: the parts read back, then the expectations (which may throw). */
  async received(row: Record<string, unknown> | undefined): Promise<void> {
    if (this.sent) return;
    this.sent = true;
    for (const p of this.parts) {
      if (!p.readBack) continue;
      const value = row?.[p.name];
      this.results.set(p.name, (typeof value === 'string' ? JSON.parse(value) : (value ?? [])) as unknown[]);
    }
    for (const e of this.expectations) if (this.rows(e.name).length === 0) throw await e.onEmpty();
  }

  /** Sends the batch on its own (when no other statement carried it). */
  async send(tx: Executor): Promise<void> {
    if (!this.pending) {
      this.sent = true;
      return;
    }
    const { ctes, columns, after } = this.carry();
    const result = await tx.execute(sql`with ${sql.join(ctes, sql`, `)} select ${sql.join([...columns, sql`${after} as done`], sql`, `)}`);
    await this.received(rowsOf<Record<string, unknown>>(result)[0]);
  }
}
