import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app/deps.js';
import { HOUR, SECOND } from '../app/context.js';
import { idempotencyKeys } from '../db/schema/index.js';
import { sha256Hex } from '../lib/crypto.js';
import { DomainError } from './errors.js';

const UNSAFE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
/** How long a stored answer can be replayed. */
const RETENTION_MS = 24 * HOUR;
/** A request that died mid-way frees its key after this lease, so a retry can run. */
const LEASE_MS = 60 * SECOND;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { userId: string; key: string } | null;
  }
}

/**
 * `Idempotency-Key` on unsafe calls (signed-in callers): the first request claims the key,
 * its answer is stored, and a retry with the same key and body gets that answer back
 * (`Idempotent-Replayed: true`). Same key, different body → 422; still running → 409.
 * 5xx answers are not stored, so a retry after a failure runs again.
 */
export function installIdempotency(app: FastifyInstance, deps: AppDeps) {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !UNSAFE.has(req.method) || !req.principal || !req.url.startsWith('/api/')) return;
    if (key.length < 8 || key.length > 200) throw new DomainError('validation_failed', 'Idempotency-Key must be 8–200 characters');
    const userId = req.principal.user.id;
    const now = deps.clock.now();
    const requestHash = sha256Hex(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`);
    const lockedUntil = new Date(now.getTime() + LEASE_MS);
    // Claim the key, or take over an expired one / one whose holder died without an answer.
    const [claimed] = await deps.db
      .insert(idempotencyKeys)
      .values({ userId, key, requestHash, createdAt: now, lockedUntil })
      .onConflictDoUpdate({
        target: [idempotencyKeys.userId, idempotencyKeys.key],
        set: { requestHash, createdAt: now, lockedUntil, statusCode: null, responseBody: null, responseType: null },
        setWhere: or(
          lt(idempotencyKeys.createdAt, new Date(now.getTime() - RETENTION_MS)),
          and(sql`${idempotencyKeys.statusCode} is null`, lt(idempotencyKeys.lockedUntil, now), eq(idempotencyKeys.requestHash, requestHash)),
        ),
      })
      .returning({ createdAt: idempotencyKeys.createdAt });
    if (claimed) {
      req.idempotency = { userId, key };
      return;
    }
    const [existing] = await deps.db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
    if (!existing || existing.requestHash !== requestHash) throw new DomainError('idempotency_key_reused');
    if (existing.statusCode === null) throw new DomainError('idempotency_in_progress', undefined, { retryAfter: 1 });
    reply.header('idempotent-replayed', 'true');
    if (existing.responseType) reply.type(existing.responseType);
    return reply.code(existing.statusCode).send(existing.responseBody ?? null);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const claim = req.idempotency;
    if (!claim) return payload;
    req.idempotency = null;
    const where = and(eq(idempotencyKeys.userId, claim.userId), eq(idempotencyKeys.key, claim.key));
    if (reply.statusCode >= 500) {
      await deps.db.delete(idempotencyKeys).where(where);
    } else {
      const body = typeof payload === 'string' ? payload : payload == null ? null : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
      await deps.db
        .update(idempotencyKeys)
        .set({ statusCode: reply.statusCode, responseBody: body, responseType: String(reply.getHeader('content-type') ?? '') || null })
        .where(where);
    }
    return payload;
  });
}
