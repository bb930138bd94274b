import { getTableColumns, is, sql, SQL } from 'drizzle-orm';
import { PgArray, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';

/**
 * Below this many rows a plain `values()` insert is as fast or faster (PostgreSQL plans it more
 * cheaply); from here on, `unnestRows` is one statement with one parameter per column.
 */
export const UNNEST_FROM_ROWS = 100;

/**
 * The rows of a bulk insert as `select … from unnest($1::t1[], $2::t2[], …)`: one bind parameter
 * per column whatever the number of rows, for `db.insert(table).select(unnestRows(table, rows))`.
 * Drizzle's `values()` needs one parameter per cell (so batches must stay below PostgreSQL's
 * 65,535 and are slow to build and bind); this is one statement for 10,000 rows.
 *
 * Values go through each column's own `mapToDriverValue` (dates, JSON, arrays), so what is stored
 * is what `values()` would store. A column no row sets gets its schema default (or null), as with
 * `values()`; a column set on some rows only uses null for the others and must have no default.
 */
export function unnestRows<T extends PgTable>(table: T, rows: T['$inferInsert'][]): SQL {
  // Same columns, same order as drizzle's own insert (generated columns are left out).
  const columns = Object.entries(getTableColumns(table) as Record<string, PgColumn>).filter(([, c]) => !(c as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert());
  const args: SQL[] = [];
  const names: SQL[] = [];
  const select: SQL[] = [];
  for (const [key, column] of columns) {
    const type = column.getSQLType();
    const values = rows.map((r) => (r as Record<string, unknown>)[key]);
    const set = values.filter((v) => v !== undefined).length;
    if (set === 0) {
      select.push(defaultOf(column, type));
      continue;
    }
    if (set < rows.length && column.hasDefault) throw new Error(`unnestRows: ${table._.name}.${column.name} is set on some rows only and has a default`);
    const alias = sql`${sql.identifier(`c${args.length}`)}`;
    const driverValues = values.map((v) => (v === undefined || v === null ? null : column.mapToDriverValue(v)));
    // Arrays travel as their text literal (unnest would flatten a 2-D array); everything else as an array of its own type.
    if (is(column, PgArray)) {
      args.push(sql`${sql.param(driverValues)}::text[]`);
      select.push(sql`${alias}::${sql.raw(type)}`);
    } else {
      args.push(sql`${sql.param(driverValues)}::${sql.raw(type)}[]`);
      select.push(sql`${alias}`);
    }
    names.push(alias);
  }
  return sql`select ${sql.join(select, sql`, `)} from unnest(${sql.join(args, sql`, `)}) as u(${sql.join(names, sql`, `)})`;
}

function defaultOf(column: PgColumn, type: string): SQL {
  if (column.defaultFn) {
    const value = column.defaultFn();
    return is(value, SQL) ? value : sql`${sql.param(value, column)}::${sql.raw(type)}`;
  }
  if (column.hasDefault && column.default !== undefined) {
    return is(column.default, SQL) ? sql`(${column.default})::${sql.raw(type)}` : sql`${sql.param(column.default, column)}::${sql.raw(type)}`;
  }
  return sql`null::${sql.raw(type)}`;
}

/**
 * The row as the database will store it, built from what was inserted: every column the row
 * does not set takes its schema default (a constant) or null. Returns null when that cannot be
 * known in advance (a column left to an SQL default or a default function): then read the row back.
 * Lets a large insert return only ids instead of parsing every stored column back.
 */
export function asInserted<T extends PgTable>(table: T, row: T['$inferInsert']): T['$inferSelect'] | null {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table) as Record<string, PgColumn>)) {
    const value = (row as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
    else if (!column.hasDefault) out[key] = null;
    else if (!column.defaultFn && column.default !== undefined && !is(column.default, SQL)) out[key] = column.default;
    else return null;
  }
  return out as T['$inferSelect'];
}
