/** A PostgreSQL error as either driver reports it (drizzle wraps it in `cause`). */
export function pgErrorOf(err: unknown): { code?: string; constraint?: string } | undefined {
  for (let e = err as { code?: unknown; constraint?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e as { code?: string; constraint?: string };
  }
  return undefined;
}

/** A unique violation (23505), of `constraint` when given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const pg = pgErrorOf(err);
  return pg?.code === '23505' && (constraint === undefined || pg.constraint === constraint);
}

/**
 * Runs `attempt` (a whole transaction) again when it lost a race on a unique `constraint`: the
 * winner has committed by the time PostgreSQL reports the violation, so the next attempt reads
 * it and decides accordingly. At most `attempts` runs; the last error is thrown.
 */
export async function retryOnUniqueViolation<T>(constraint: string, attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= attempts || !isUniqueViolation(err, constraint)) throw err;
    }
  }
}
