import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { ctxOf, userCtx } from '../../http/auth.js';
import { pageQuery, pageSchema } from '../../http/pagination.js';
import { csvEnum, idParams, wsParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import * as s from './schemas.js';
import * as service from './service.js';
import { INVITATION_STATUSES } from './state.js';

const invitationParams = idParams('invitationId');

export function invitationRoutes(app: App, deps: AppDeps) {
  const tokenLimit = { max: deps.config.RATE_LIMIT_TOKEN_LOOKUPS_PER_IP, timeWindow: deps.config.RATE_LIMIT_WINDOW_SECONDS * 1000 };

  app.post('/api/workspaces/:workspaceId/invitations', {
    config: { auth: 'user' },
    schema: {
      tags: ['invitations'],
      summary: 'Invite one or many email addresses with a role (and locations)',
      params: wsParams,
      body: s.inviteBody,
      response: { 201: s.inviteResult },
    },
    handler: async (req, reply) => reply.code(201).send(await service.inviteMembers(userCtx(deps, req), req.params.workspaceId, req.body)),
  });

  app.get('/api/workspaces/:workspaceId/invitations', {
    config: { auth: 'user' },
    schema: {
      tags: ['invitations'],
      summary: 'List invitations, newest first',
      params: wsParams,
      querystring: z.strictObject({ ...pageQuery, status: csvEnum(INVITATION_STATUSES).optional(), type: z.enum(['member', 'guest']).optional(), q: z.string().max(200).optional() }),
      response: { 200: pageSchema(s.invitationSchema) },
    },
    handler: async (req) => service.listInvitations(userCtx(deps, req), req.params.workspaceId, req.query),
  });

  app.get('/api/workspaces/:workspaceId/invitations/:invitationId', {
    config: { auth: 'user' },
    schema: { tags: ['invitations'], summary: 'One invitation', params: invitationParams, response: { 200: s.invitationSchema } },
    handler: async (req) => service.getInvitation(userCtx(deps, req), req.params.workspaceId, req.params.invitationId),
  });

  app.post('/api/workspaces/:workspaceId/invitations/:invitationId/resend', {
    config: { auth: 'user' },
    schema: { tags: ['invitations'], summary: 'Send a new link (the old one stops working)', params: invitationParams, response: { 200: s.invitationSchema } },
    handler: async (req) => service.resendInvitation(userCtx(deps, req), req.params.workspaceId, req.params.invitationId),
  });

  app.delete('/api/workspaces/:workspaceId/invitations/:invitationId', {
    config: { auth: 'user' },
    schema: { tags: ['invitations'], summary: 'Revoke a pending invitation', params: invitationParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.revokeInvitation(userCtx(deps, req), req.params.workspaceId, req.params.invitationId);
      return reply.code(204).send(null);
    },
  });

  app.get('/api/invitations/:token', {
    config: { auth: 'public', rateLimit: tokenLimit },
    schema: { tags: ['invitations'], summary: 'Preview an invitation by its link token', params: s.tokenParams, response: { 200: s.invitationPreview } },
    handler: async (req, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      return service.previewInvitation(ctxOf(deps, req), req.params.token);
    },
  });

  app.post('/api/invitations/:token/accept', {
    config: { auth: 'user', rateLimit: tokenLimit },
    schema: { tags: ['invitations'], summary: 'Accept as the signed-in user (same email as invited)', params: s.tokenParams, response: { 200: s.acceptResult } },
    handler: async (req) => service.acceptInvitation(userCtx(deps, req), req.params.token),
  });

  app.post('/api/invitations/:token/decline', {
    config: { auth: 'public', rateLimit: tokenLimit },
    schema: { tags: ['invitations'], summary: 'Decline an invitation (no sign-in needed)', params: s.tokenParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.declineInvitation(ctxOf(deps, req), req.params.token);
      return reply.code(204).send(null);
    },
  });

  app.get('/api/me/invitations', {
    config: { auth: 'user' },
    schema: { tags: ['me'], summary: 'Pending invitations to your verified email', response: { 200: z.object({ items: z.array(s.inboxInvitation) }) } },
    handler: async (req) => ({ items: await service.listMyInvitations(userCtx(deps, req)) }),
  });

  app.post('/api/me/invitations/:invitationId/accept', {
    config: { auth: 'user' },
    schema: { tags: ['me'], summary: 'Accept an invitation from your inbox', params: z.strictObject({ invitationId: z.uuid() }), response: { 200: s.acceptResult } },
    handler: async (req) => service.acceptMyInvitation(userCtx(deps, req), req.params.invitationId),
  });

  app.post('/api/me/invitations/:invitationId/decline', {
    config: { auth: 'user' },
    schema: { tags: ['me'], summary: 'Decline an invitation from your inbox', params: z.strictObject({ invitationId: z.uuid() }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.declineMyInvitation(userCtx(deps, req), req.params.invitationId);
      return reply.code(204).send(null);
    },
  });
}
