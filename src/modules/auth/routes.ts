import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { clearSessionCookie, ctxOf, deviceTokenOf, setSessionCookie, userCtx } from '../../http/auth.js';
import { DomainError } from '../../http/errors.js';
import type { App } from '../../http/types.js';
import * as invitations from '../invitations/service.js';
import { listMyWorkspaces } from '../workspaces/service.js';
import { hasConfirmedMfa } from '../members/repo.js';
import * as schemas from './schemas.js';
import * as service from './service.js';

const presentToken = (t: Awaited<ReturnType<typeof service.listApiTokens>>[number]) => ({
  id: t.id,
  name: t.name,
  prefix: t.tokenPrefix,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  expiresAt: t.expiresAt,
});

export function authRoutes(app: App, deps: AppDeps) {
  const windowMs = deps.config.RATE_LIMIT_WINDOW_SECONDS * 1000;
  app.post('/api/auth/sign-up', {
    config: { auth: 'public', rateLimit: { max: deps.config.RATE_LIMIT_SIGN_UP_PER_IP, timeWindow: windowMs } },
    schema: {
      tags: ['auth'],
      summary: 'Create an account (with invitationToken: account + membership + session at once)',
      body: z.strictObject({ ...schemas.signUpBody.shape, email: schemas.signUpBody.shape.email.optional() }),
      response: {
        201: z.object({ user: schemas.userSchema, workspaceId: z.uuid(), memberId: z.uuid() }),
        202: schemas.signUpAccepted,
      },
    },
    handler: async (req, reply) => {
      const ctx = ctxOf(deps, req);
      const { invitationToken, email, password, name } = req.body;
      if (invitationToken) {
        const result = await invitations.acceptAsNewcomer(ctx, { token: invitationToken, email, password, name });
        setSessionCookie(reply, deps, result.session.token, result.session.expiresAt);
        return reply.code(201).send({ user: service.presentUser(result.user), workspaceId: result.workspaceId, memberId: result.memberId });
      }
      if (!email) throw new DomainError('validation_failed', 'email is required', { errors: [{ path: 'body.email', message: 'Required' }] });
      await service.signUp(ctx, { email, password, name });
      return reply.code(202).send({ status: 'check_your_email', message: 'If this address can be used, your account is ready: sign in, and check your inbox for a verification link.' });
    },
  });

  app.post('/api/auth/sign-in', {
    config: { auth: 'public', rateLimit: { max: deps.config.RATE_LIMIT_SIGN_IN_PER_IP, timeWindow: windowMs } },
    schema: {
      tags: ['auth'],
      summary: 'Sign in with email and password; sets the session cookie. `mfaRequired`: finish with POST /api/auth/mfa/verify',
      body: schemas.signInBody,
      response: { 200: z.object({ user: schemas.userSchema, mfaRequired: z.boolean(), passwordChangeRequired: z.boolean() }) },
    },
    handler: async (req, reply) => {
      const { user, session, mfaRequired } = await service.signIn(ctxOf(deps, req), {
        ...req.body,
        previousSessionHash: req.principal?.sessionTokenHash ?? undefined,
        deviceToken: deviceTokenOf(req, deps),
      });
      setSessionCookie(reply, deps, session.token, session.expiresAt);
      return { user: service.presentUser(user), mfaRequired, passwordChangeRequired: user.mustChangePassword };
    },
  });

  app.post('/api/auth/sign-out', {
    config: { auth: 'user', allowMfaPending: true, allowPasswordChangePending: true },
    schema: { tags: ['auth'], summary: 'End this session', response: { 204: z.null() } },
    handler: async (req, reply) => {
      if (req.principal?.sessionId) await service.signOut(userCtx(deps, req), req.principal.sessionId);
      clearSessionCookie(reply, deps);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/auth/verify-email', {
    config: { auth: 'public', rateLimit: { max: deps.config.RATE_LIMIT_TOKEN_LOOKUPS_PER_IP, timeWindow: windowMs } },
    schema: { tags: ['auth'], summary: 'Confirm an email address with the emailed token', body: schemas.verifyEmailBody, response: { 200: z.object({ user: schemas.userSchema }) } },
    handler: async (req) => ({ user: service.presentUser(await service.verifyEmail(ctxOf(deps, req), req.body.token)) }),
  });

  app.get('/api/me', {
    config: { auth: 'user', allowMfaPending: true, allowPasswordChangePending: true },
    schema: { tags: ['me'], summary: 'The signed-in user, what their sign-in still needs, and their workspaces', response: { 200: schemas.meResponse } },
    handler: async (req) => {
      const ctx = userCtx(deps, req);
      const principal = req.principal!;
      const nextStep = principal.mfaPending ? ('mfa' as const) : principal.user.mustChangePassword ? ('change_password' as const) : null;
      // Until the sign-in is complete, the account reveals nothing about its workspaces.
      const workspaces = nextStep ? [] : await listMyWorkspaces(ctx);
      return {
        user: service.presentUser(principal.user),
        nextStep,
        mfaEnabled: await hasConfirmedMfa(deps.db, principal.user.id),
        workspaces: workspaces.map((w) => ({ id: w.id, name: w.name, role: w.role, type: w.role === 'guest' ? 'guest' : 'member', partner: w.partner, pendingRequirements: w.pendingRequirements })),
      };
    },
  });

  app.patch('/api/me', {
    config: { auth: 'user' },
    schema: { tags: ['me'], summary: 'Update your profile', body: schemas.updateProfileBody, response: { 200: z.object({ user: schemas.userSchema }) } },
    handler: async (req) => ({ user: service.presentUser(await service.updateProfile(userCtx(deps, req), req.body)) }),
  });

  app.post('/api/me/verification', {
    config: { auth: 'user', rateLimit: { max: 5, timeWindow: 15 * 60 * 1000 } },
    schema: { tags: ['me'], summary: 'Send the verification email again', response: { 202: z.object({ status: z.literal('sent') }) } },
    handler: async (req, reply) => {
      await service.resendVerification(userCtx(deps, req));
      return reply.code(202).send({ status: 'sent' });
    },
  });

  app.post('/api/me/password', {
    config: { auth: 'user', rateLimit: { max: 10, timeWindow: 15 * 60 * 1000 } },
    schema: { tags: ['me'], summary: 'Change your password; ends every other session', body: schemas.changePasswordBody, response: { 204: z.null() } },
    handler: async (req, reply) => {
      const session = await service.changePassword(userCtx(deps, req), req.body);
      if (req.principal?.via === 'cookie') setSessionCookie(reply, deps, session.token, session.expiresAt);
      return reply.code(204).send(null);
    },
  });

  app.get('/api/me/sessions', {
    config: { auth: 'user' },
    schema: {
      tags: ['me'],
      summary: 'Your signed-in sessions',
      response: {
        200: z.object({
          items: z.array(z.object({ id: z.uuid(), createdAt: z.date(), lastSeenAt: z.date(), expiresAt: z.date(), ip: z.string().nullable(), userAgent: z.string().nullable(), current: z.boolean() })),
        }),
      },
    },
    handler: async (req) => ({ items: await service.listSessions(userCtx(deps, req), req.principal!.sessionId) }),
  });

  app.delete('/api/me/sessions/:sessionId', {
    config: { auth: 'user' },
    schema: { tags: ['me'], summary: 'Sign out one of your sessions', params: z.strictObject({ sessionId: z.uuid() }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.revokeOwnSession(userCtx(deps, req), req.params.sessionId);
      return reply.code(204).send(null);
    },
  });

  app.get('/api/me/tokens', {
    config: { auth: 'user' },
    schema: { tags: ['me'], summary: 'Your personal API tokens', response: { 200: z.object({ items: z.array(schemas.apiTokenSchema) }) } },
    handler: async (req) => ({ items: (await service.listApiTokens(userCtx(deps, req))).map(presentToken) }),
  });

  app.post('/api/me/tokens', {
    config: { auth: 'user' },
    schema: {
      tags: ['me'],
      summary: 'Create a personal API token (shown once) for `Authorization: Bearer`',
      body: schemas.createApiTokenBody,
      response: { 201: z.object({ token: z.string(), apiToken: schemas.apiTokenSchema }) },
    },
    handler: async (req, reply) => {
      const { row, token } = await service.createApiToken(userCtx(deps, req), req.body);
      return reply.code(201).send({ token, apiToken: presentToken(row) });
    },
  });

  app.delete('/api/me/tokens/:tokenId', {
    config: { auth: 'user' },
    schema: { tags: ['me'], summary: 'Revoke a personal API token', params: z.strictObject({ tokenId: z.uuid() }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.revokeApiToken(userCtx(deps, req), req.params.tokenId);
      return reply.code(204).send(null);
    },
  });
}
