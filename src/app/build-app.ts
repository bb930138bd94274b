import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { devMailboxRoutes } from '../email/dev-mailbox-routes.js';
import { devMailboxMailer, smtpMailer, type Mailer } from '../email/mailer.js';
import { installAuth } from '../http/auth.js';
import { installIdempotency } from '../http/idempotency.js';
import { installErrorHandling, sendProblem } from '../http/problem.js';
import { trackRouteMethods } from '../http/method-not-allowed.js';
import { standardProblems } from '../http/schemas.js';
import type { App } from '../http/types.js';
import { recordDeadLetter } from '../jobs/dead-letters.js';
import { createWorker, type JobHandlers, type Worker } from '../jobs/worker.js';
import { activityRoutes } from '../modules/activity/routes.js';
import { accountExistsEmail, verificationEmail } from '../modules/auth/emails.js';
import { authRoutes } from '../modules/auth/routes.js';
import { invitationEmail } from '../modules/invitations/emails.js';
import { invitationRoutes } from '../modules/invitations/routes.js';
import { locationRoutes } from '../modules/locations/routes.js';
import { memberRoutes } from '../modules/members/routes.js';
import { guestRoutes } from '../modules/guests/routes.js';
import { mfaRoutes } from '../modules/mfa/routes.js';
import { deviceCodeEmail, securityNoticeEmail } from '../modules/mfa/emails.js';
import { workspaceRoutes } from '../modules/workspaces/routes.js';
import type { Config } from './config.js';
import { systemClock, systemRandom, type Clock, type Random } from './context.js';
import type { AppDeps } from './deps.js';
import type { Keys } from './keys.js';
import { installMetrics } from './metrics.js';

export interface BuildOptions {
  config: Config;
  db: Db;
  keys: Keys;
  clock?: Clock;
  random?: Random;
  /** Overrides the mailer chosen from config (tests use a capturing one). */
  mailer?: Mailer;
  /** Where log lines go (stdout by default); tests read them to prove what is never logged. */
  loggerStream?: { write(line: string): void };
}

export interface GatehouseApp {
  app: FastifyInstance;
  deps: AppDeps;
  worker: Worker;
  mailer: Mailer;
}

export const jobHandlers: JobHandlers = {
  'email.invitation': invitationEmail as JobHandlers['email.invitation'],
  'email.verification': verificationEmail as JobHandlers['email.verification'],
  'email.account_exists': accountExistsEmail as JobHandlers['email.account_exists'],
  'email.security_notice': securityNoticeEmail as JobHandlers['email.security_notice'],
  'email.device_code': deviceCodeEmail as JobHandlers['email.device_code'],
};

const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Wires every module onto one Fastify instance. No listening, no process globals. */
export async function buildApp(opts: BuildOptions): Promise<GatehouseApp> {
  const { config } = opts;
  const app = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      ...(opts.loggerStream ? { stream: opts.loggerStream } : {}),
      // Invitation and verification tokens travel in paths: never write them to logs.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          method: req.method,
          url: req.url.replace(/\/(invitations|invite|verify-email)\/[A-Za-z0-9_-]{20,}/g, '/$1/[redacted]'),
          id: req.id,
        }),
      },
    },
    trustProxy: config.TRUST_PROXY,
    bodyLimit: 2 * 1024 * 1024,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    genReqId: () => (opts.random ?? systemRandom).uuid(),
    // Router errors (over-long path param, malformed %-escape) skip every hook: answer them as problems too.
    frameworkErrors: (err, req, reply) => {
      reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      // Under /api/invitations/ the param is a link token: any token, however malformed, gets the one unknown-token answer.
      if (req.url.startsWith('/api/invitations/')) return sendProblem(reply, req, 'invitation_not_found');
      return sendProblem(reply, req, err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'not_found' : 'validation_failed');
    },
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;

  const deps: AppDeps = { db: opts.db, config, clock: opts.clock ?? systemClock, random: opts.random ?? systemRandom, keys: opts.keys, log: app.log };

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  const allowedMethods = trackRouteMethods(app);
  // JSON only: a text/plain body is a CORS "simple" request a foreign page can send (T-SESS-05).
  app.removeContentTypeParser('text/plain');

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"], frameSrc: ["'self'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: new URL(config.APP_URL).protocol === 'https:',
  });
  await app.register(fastifyCookie);
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { connectTimeout: 500, maxRetriesPerRequest: 1, lazyConnect: false }) : undefined;
  await app.register(fastifyRateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: 'gatehouse-rl-' } : {}),
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error('rate limited'), { statusCode: 429, retryAfter: Math.ceil(ctx.ttl / 1000) }),
  });
  if (redis) app.addHook('onClose', async () => void redis.quit());

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Gatehouse API', version: '0.1.0', description: 'Workspaces, members, roles and invitations. Errors are RFC 9457 problem+json with a stable `code`.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'gh_session' }, bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ session: [] }, { bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const schema = (route.schema ??= {});
    schema.response = { ...standardProblems, ...(schema.response as object | undefined) };
  });
  installAuth(app, deps);
  installIdempotency(app, deps);
  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
  installMetrics(app);

  const mailer = opts.mailer ?? (config.SMTP_URL ? smtpMailer(config.SMTP_URL, config.SMTP_FROM) : devMailboxMailer(opts.db, config.SMTP_FROM, deps.clock, deps.random));

  app.get('/api/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await opts.db.execute(sql`select 1 from activity_chain_heads limit 1`);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  authRoutes(app, deps);
  workspaceRoutes(app, deps);
  memberRoutes(app, deps);
  locationRoutes(app, deps);
  invitationRoutes(app, deps);
  activityRoutes(app, deps);
  guestRoutes(app, deps);
  mfaRoutes(app, deps);
  if (config.devMailbox) devMailboxRoutes(app, deps);

  const hasWeb = config.SERVE_WEB && existsSync(path.join(webDist, 'index.html'));
  if (hasWeb) await app.register(fastifyStatic, { root: webDist, wildcard: false });
  app.setNotFoundHandler({ preHandler: app.rateLimit({ max: 600, timeWindow: 60_000 }) }, (req, reply) => {
    if (req.url.startsWith('/api/')) {
      const allow = allowedMethods(req.url.split('?')[0]!);
      if (allow.length) return sendProblem(reply.header('allow', allow.join(', ')), req, 'method_not_allowed', { detail: `Use ${allow.join(', ')}` });
    }
    if (req.url.startsWith('/api/') || req.method !== 'GET') return sendProblem(reply, req, 'not_found', { detail: 'No such endpoint' });
    // Pages whose URL carries a token are never cached, and never leak it in a Referer (T-INV-12).
    if (/^\/(invite|verify-email)\//.test(req.url)) reply.header('cache-control', 'no-store');
    if (hasWeb) return reply.header('referrer-policy', 'no-referrer').sendFile('index.html');
    return reply.type('text/html; charset=utf-8').send(placeholderPage(config.devMailbox));
  });

  const worker = createWorker(deps, mailer, jobHandlers, (row, error) => recordDeadLetter(deps, row, error));
  app.addHook('onClose', async () => {
    await worker.stop();
    await mailer.close();
  });
  return { app: app as unknown as FastifyInstance, deps, worker, mailer };
}

function placeholderPage(devMailbox: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse</title></head><body style="font-family:system-ui;max-width:640px;margin:40px auto">
<h1>Gatehouse</h1><p>The API is running. The web app has not been built (<code>npm run build:web</code>).</p>
<ul><li><a href="/api/openapi.json">OpenAPI document</a></li>${devMailbox ? '<li><a href="/api/dev/mailbox">Dev mailbox</a></li>' : ''}<li><a href="/healthz">Health</a></li></ul></body></html>`;
}
