import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { setSessionCookie, userCtx } from '../../http/auth.js';
import { idParams, wsParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { emailField } from '../../lib/email-address.js';
import { nameField, passwordField, userSchema } from '../auth/schemas.js';
import { presentUser } from '../auth/service.js';
import { invitationSchema, inviteResult } from '../invitations/schemas.js';
import * as service from './service.js';

const partnerRole = z.enum(['guest_admin', 'guest_user']);
const partnerSchema = z
  .object({ id: z.uuid(), name: z.string(), createdAt: z.date(), guestAdmins: z.number().int(), guestUsers: z.number().int() })
  .meta({ id: 'LocalPartner' });
const partnerDetail = partnerSchema
  .extend({
    guests: z.array(
      z.object({
        memberId: z.uuid(),
        userId: z.uuid(),
        email: z.string(),
        name: z.string(),
        partnerRole,
        joinedAt: z.date(),
        abilities: z.object({ remove: z.boolean(), changeRole: z.boolean() }),
      }),
    ),
    invitations: z.array(z.object({ id: z.uuid(), email: z.string(), partnerRole, expiresAt: z.date(), createdAt: z.date(), abilities: z.object({ resend: z.boolean() }) })),
  })
  .meta({ id: 'LocalPartnerDetail' });
const partnerParams = idParams('partnerId');
const partnerMemberParams = z.strictObject({ workspaceId: z.uuid(), partnerId: z.uuid(), memberId: z.uuid() });

export function guestRoutes(app: App, deps: AppDeps) {
  app.post('/api/me/complete-setup', {
    config: { auth: 'user', allowPasswordChangePending: true },
    schema: {
      tags: ['guests'],
      summary: 'First sign-in with a temporary password: choose a password, give your name (joins the inviting workspaces)',
      body: z.strictObject({ newPassword: passwordField, name: nameField, familyName: nameField }),
      response: { 200: z.object({ user: userSchema, joinedWorkspaceIds: z.array(z.uuid()) }) },
    },
    handler: async (req, reply) => {
      const result = await service.completeGuestSetup(userCtx(deps, req), req.body);
      if (req.principal?.via === 'cookie') setSessionCookie(reply, deps, result.session.token, result.session.expiresAt);
      return { user: presentUser(result.user), joinedWorkspaceIds: result.joinedWorkspaceIds };
    },
  });

  app.get('/api/workspaces/:workspaceId/local-partners', {
    config: { auth: 'user' },
    schema: { tags: ['guests'], summary: 'Local partners (admins: all; a partner’s guests: their own)', params: wsParams, response: { 200: z.object({ items: z.array(partnerSchema) }) } },
    handler: async (req) => ({ items: await service.listPartners(userCtx(deps, req), req.params.workspaceId) }),
  });

  app.post('/api/workspaces/:workspaceId/local-partners', {
    config: { auth: 'user' },
    schema: {
      tags: ['guests'],
      summary: 'Create a local partner and invite its first Guest Admin (admins)',
      params: wsParams,
      body: z.strictObject({ name: nameField, guestAdminEmail: emailField }),
      response: { 201: z.object({ partner: partnerSchema, invitation: inviteResult }) },
    },
    handler: async (req, reply) => reply.code(201).send(await service.createPartner(userCtx(deps, req), req.params.workspaceId, req.body)),
  });

  app.get('/api/workspaces/:workspaceId/local-partners/:partnerId', {
    config: { auth: 'user' },
    schema: { tags: ['guests'], summary: 'A local partner with its guests and pending invitations (Guest Users: its Guest Admins and themselves)', params: partnerParams, response: { 200: partnerDetail } },
    handler: async (req) => service.getPartner(userCtx(deps, req), req.params.workspaceId, req.params.partnerId),
  });

  app.delete('/api/workspaces/:workspaceId/local-partners/:partnerId', {
    config: { auth: 'user' },
    schema: { tags: ['guests'], summary: 'Remove a local partner: every guest of it is deactivated (admins)', params: partnerParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.removePartner(userCtx(deps, req), req.params.workspaceId, req.params.partnerId);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/workspaces/:workspaceId/local-partners/:partnerId/invitations', {
    config: { auth: 'user' },
    schema: {
      tags: ['guests'],
      summary: 'Invite guests into a local partner (admins; Guest Admins invite Guest Users)',
      params: partnerParams,
      body: z.strictObject({ emails: z.array(z.string().max(1000)).min(1).max(10_000), partnerRole: partnerRole.default('guest_user') }),
      response: { 201: inviteResult },
    },
    handler: async (req, reply) => reply.code(201).send(await service.invitePartnerGuests(userCtx(deps, req), req.params.workspaceId, req.params.partnerId, req.body)),
  });

  app.post('/api/workspaces/:workspaceId/local-partners/:partnerId/invitations/:invitationId/resend', {
    config: { auth: 'user' },
    schema: {
      tags: ['guests'],
      summary: 'Resend a partner guest invitation (new link and temporary password)',
      params: z.strictObject({ workspaceId: z.uuid(), partnerId: z.uuid(), invitationId: z.uuid() }),
      response: { 200: invitationSchema },
    },
    handler: async (req) => service.resendPartnerInvitation(userCtx(deps, req), req.params.workspaceId, req.params.partnerId, req.params.invitationId),
  });

  app.patch('/api/workspaces/:workspaceId/local-partners/:partnerId/members/:memberId', {
    config: { auth: 'user' },
    schema: { tags: ['guests'], summary: 'Switch a guest between Guest Admin and Guest User (admins)', params: partnerMemberParams, body: z.strictObject({ partnerRole }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.changePartnerRole(userCtx(deps, req), req.params.workspaceId, req.params.partnerId, req.params.memberId, req.body.partnerRole);
      return reply.code(204).send(null);
    },
  });

  app.delete('/api/workspaces/:workspaceId/local-partners/:partnerId/members/:memberId', {
    config: { auth: 'user' },
    schema: { tags: ['guests'], summary: 'Remove a guest of a local partner from the workspace (admins; Guest Admins for Guest Users)', params: partnerMemberParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.removePartnerGuest(userCtx(deps, req), req.params.workspaceId, req.params.partnerId, req.params.memberId);
      return reply.code(204).send(null);
    },
  });
}
