import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps, Ctx } from '../app/deps.js';
import { MINUTE } from '../app/context.js';
import { hashToken } from '../lib/crypto.js';
import { findLiveApiToken, findLiveSession, touchApiToken, touchSession, type UserRow } from '../modules/auth/repo.js';
import { DomainError } from './errors.js';

export interface Principal {
  user: UserRow;
  via: 'cookie' | 'token';
  sessionId: string | null;
  sessionTokenHash: string | null;
  /** The password step is done but the second factor is not: almost nothing is allowed yet. */
  mfaPending: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Every /api route says who may call it; the app refuses to start otherwise (deny by default). */
    auth?: 'public' | 'user';
    /** Reachable with a sign-in whose second factor is still pending (GET /api/me, sign-out, the MFA step). */
    allowMfaPending?: boolean;
    /** Reachable by an account that must first replace its temporary password (T-GUEST-02). */
    allowPasswordChangePending?: boolean;
  }
}

const isHttps = (appUrl: string) => new URL(appUrl).protocol === 'https:';

/** `__Host-` pins a cookie to this exact origin over https (Secure, no Domain, Path=/). */
function cookieName(appUrl: string, base: 'gh_session' | 'gh_device'): string {
  return isHttps(appUrl) ? `__Host-${base}` : base;
}

export const sessionCookieName = (appUrl: string) => cookieName(appUrl, 'gh_session');
export const deviceCookieName = (appUrl: string) => cookieName(appUrl, 'gh_device');

export function setSessionCookie(reply: FastifyReply, deps: AppDeps, token: string, expiresAt: Date) {
  reply.setCookie(sessionCookieName(deps.config.APP_URL), token, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(deps.config.APP_URL), expires: expiresAt });
}

export function clearSessionCookie(reply: FastifyReply, deps: AppDeps) {
  reply.clearCookie(sessionCookieName(deps.config.APP_URL), { path: '/' });
}

/** The trusted-device cookie lives longer than a session: it outlives sign-outs, not factor changes. */
const DEVICE_COOKIE_DAYS = 90;

export function setDeviceCookie(reply: FastifyReply, deps: AppDeps, token: string) {
  reply.setCookie(deviceCookieName(deps.config.APP_URL), token, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(deps.config.APP_URL), maxAge: DEVICE_COOKIE_DAYS * 86_400 });
}

export function deviceTokenOf(req: FastifyRequest, deps: AppDeps): string | undefined {
  return req.cookies[deviceCookieName(deps.config.APP_URL)];
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Sessions are touched at most once a minute, so reads do not turn into writes. */
const TOUCH_EVERY_MS = MINUTE;

/**
 * Resolves the caller from the session cookie or a Bearer API token, applying idle and absolute
 * expiry, and refuses cookie-authenticated unsafe requests from a foreign Origin (CSRF).
 */
export function installAuth(app: FastifyInstance, deps: AppDeps) {
  const cookieName = sessionCookieName(deps.config.APP_URL);
  const allowedOrigins = new Set([new URL(deps.config.APP_URL).origin, ...deps.config.ALLOWED_ORIGINS.map((o) => new URL(o).origin)]);
  const idleMs = deps.config.SESSION_IDLE_HOURS * 60 * MINUTE;

  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && !route.config?.auth) {
      throw new Error(`Route ${route.method} ${route.url} does not declare config.auth`);
    }
  });

  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    const now = deps.clock.now();
    const authz = req.headers.authorization;
    if (authz?.startsWith('Bearer ')) {
      const found = await findLiveApiToken(deps.db, hashToken(authz.slice(7).trim()), now);
      if (!found) throw new DomainError('unauthenticated', 'The API token is not valid');
      if (!found.token.lastUsedAt || now.getTime() - found.token.lastUsedAt.getTime() > TOUCH_EVERY_MS) await touchApiToken(deps.db, found.token.id, now);
      req.principal = { user: found.user, via: 'token', sessionId: null, sessionTokenHash: null, mfaPending: false };
      return;
    }
    if (UNSAFE.has(req.method)) {
      // Browsers send Origin on every cross-site POST; non-browser clients send neither header.
      // Checked before the cookie is even read, so login CSRF is refused too.
      const origin = req.headers.origin;
      const site = req.headers['sec-fetch-site'];
      if (origin ? !allowedOrigins.has(origin) : site !== undefined && site !== 'same-origin' && site !== 'none') {
        throw new DomainError('origin_mismatch');
      }
    }
    const token = req.cookies[cookieName];
    if (!token) return;
    const tokenHash = hashToken(token);
    const found = await findLiveSession(deps.db, tokenHash, now);
    if (!found || now.getTime() - found.session.lastSeenAt.getTime() > idleMs) return;
    if (now.getTime() - found.session.lastSeenAt.getTime() > TOUCH_EVERY_MS) await touchSession(deps.db, found.session.id, now);
    req.principal = { user: found.user, via: 'cookie', sessionId: found.session.id, sessionTokenHash: tokenHash, mfaPending: found.session.state === 'mfa_pending' };
  });

  app.addHook('preHandler', async (req) => {
    const config = req.routeOptions.config;
    if (config?.auth !== 'user') return;
    const principal = req.principal;
    if (!principal) throw new DomainError('unauthenticated');
    // Enforced here, on every route, not only by the web app's redirects.
    if (principal.mfaPending && !config.allowMfaPending) throw new DomainError('mfa_required');
    if (principal.user.mustChangePassword && !config.allowPasswordChangePending) throw new DomainError('password_change_required');
  });
}

export function ctxOf(deps: AppDeps, req: FastifyRequest): Ctx {
  return {
    ...deps,
    userId: req.principal?.user.id ?? null,
    meta: { ip: req.ip, userAgent: req.headers['user-agent'] ?? null, requestId: req.id },
  };
}

/** The signed-in user's ctx; routes with `auth: 'user'` are guaranteed a principal. */
export function userCtx(deps: AppDeps, req: FastifyRequest): Ctx & { userId: string } {
  if (!req.principal) throw new DomainError('unauthenticated');
  return ctxOf(deps, req) as Ctx & { userId: string };
}
