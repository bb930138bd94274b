import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { pgErrorOf } from '../db/errors.js';
import { DomainError, problemFor, type ErrorCode, type ProblemFieldError } from './errors.js';

export function sendProblem(reply: FastifyReply, req: FastifyRequest, code: ErrorCode, opts: { detail?: string; retryAfter?: number; errors?: ProblemFieldError[] } = {}) {
  const problem = problemFor(code, { ...opts, instance: req.url.split('?')[0]!.replace(/^\/api\/invitations\/[^/]+/, '/api/invitations/{token}').replace(/\/invitations\/[A-Za-z0-9_-]{20,}/, '/invitations/{token}'), requestId: req.id });
  if (opts.retryAfter !== undefined) reply.header('retry-after', String(opts.retryAfter));
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(problem);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_VALIDATION: 'validation_failed',
};

/** Postgres error classes that bad input can reach despite validation; never a 500. */
const PG_CODES: Record<string, ErrorCode> = {
  '23505': 'conflict',
  '23503': 'not_found',
  '22P02': 'validation_failed',
  '22001': 'validation_failed',
  '40001': 'service_unavailable',
  '40P01': 'service_unavailable',
};


/**
 * The one place errors become HTTP: RFC 9457 problem+json with a stable `code`, never a stack
 * trace, never a driver message. Unknown errors are logged in full and answered with a generic 500.
 */
export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof DomainError) {
      const status = problemFor(err.code).status;
      req.log[status >= 500 ? 'error' : 'info']({ code: err.code }, 'domain error');
      return sendProblem(reply, req, err.code, { detail: err.detail, ...err.extensions });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({ path: `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`, message: v.message ?? 'invalid' }));
      return sendProblem(reply, req, 'validation_failed', { errors });
    }
    if (err.statusCode === 429) {
      const retryAfter = Number(reply.getHeader('retry-after')) || 60;
      return sendProblem(reply, req, 'rate_limited', { retryAfter, detail: 'Slow down and try again later' });
    }
    const fastifyCode = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (fastifyCode) return sendProblem(reply, req, fastifyCode);
    const pg = pgErrorOf(err)?.code;
    if (pg && PG_CODES[pg]) {
      req.log.warn({ pgCode: pg }, 'database rejected a request');
      return sendProblem(reply, req, PG_CODES[pg]!, pg.startsWith('40') ? { retryAfter: 1 } : {});
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, req, err.statusCode === 413 ? 'payload_too_large' : err.statusCode === 415 ? 'unsupported_media_type' : 'validation_failed');
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, req, 'internal');
  });
}
