import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { userCtx } from '../../http/auth.js';
import { pageQuery, pageSchema } from '../../http/pagination.js';
import { csvEnum, idParams, wsParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { INVITABLE_ROLES, MEMBER_STATUSES, MEMBER_TYPES, ROLES } from './roles.js';
import * as service from './service.js';

export const memberSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    type: z.enum(MEMBER_TYPES),
    status: z.enum(MEMBER_STATUSES),
    locations: z.array(z.object({ id: z.uuid(), name: z.string() })),
    /** Guests of a local partner: the partner and their role in it (Guests tab). */
    partner: z.object({ id: z.uuid(), name: z.string(), role: z.enum(['guest_admin', 'guest_user']) }).nullable(),
    joinedAt: z.date(),
    removedAt: z.date().nullable(),
    abilities: z.object({ changeRole: z.boolean(), remove: z.boolean(), transferOwnership: z.boolean(), assignableRoles: z.array(z.enum(INVITABLE_ROLES)) }),
  })
  .meta({ id: 'Member' });

const memberParams = idParams('memberId');

export function memberRoutes(app: App, deps: AppDeps) {
  app.get('/api/workspaces/:workspaceId/members', {
    config: { auth: 'user' },
    schema: {
      tags: ['members'],
      summary: 'List members (keyset pages; filter by role, status, type, text)',
      params: wsParams,
      querystring: z.strictObject({
        ...pageQuery,
        role: csvEnum(ROLES).optional(),
        status: csvEnum(MEMBER_STATUSES).optional(),
        type: csvEnum(MEMBER_TYPES).optional(),
        q: z.string().trim().max(200).optional(),
      }),
      response: { 200: pageSchema(memberSchema) },
    },
    handler: async (req) => service.listMembers(userCtx(deps, req), req.params.workspaceId, req.query),
  });

  app.get('/api/workspaces/:workspaceId/members/:memberId', {
    config: { auth: 'user' },
    schema: { tags: ['members'], summary: 'One member', params: memberParams, response: { 200: memberSchema } },
    handler: async (req) => service.getMember(userCtx(deps, req), req.params.workspaceId, req.params.memberId),
  });

  app.patch('/api/workspaces/:workspaceId/members/:memberId', {
    config: { auth: 'user' },
    schema: {
      tags: ['members'],
      summary: 'Change a member’s role and/or locations',
      params: memberParams,
      body: z.strictObject({ role: z.enum(ROLES).optional(), locationIds: z.array(z.uuid()).max(1000).optional() }),
      response: { 200: memberSchema },
    },
    handler: async (req) => service.updateMember(userCtx(deps, req), req.params.workspaceId, req.params.memberId, req.body),
  });

  app.delete('/api/workspaces/:workspaceId/members/:memberId', {
    config: { auth: 'user' },
    schema: { tags: ['members'], summary: 'Remove a member (or leave, for yourself); access ends at once', params: memberParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.removeMember(userCtx(deps, req), req.params.workspaceId, req.params.memberId);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/workspaces/:workspaceId/transfer-ownership', {
    config: { auth: 'user' },
    schema: { tags: ['members'], summary: 'Hand ownership to another active member (you become an administrator)', params: wsParams, body: z.strictObject({ memberId: z.uuid() }), response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.transferOwnership(userCtx(deps, req), req.params.workspaceId, req.body);
      return reply.code(204).send(null);
    },
  });
}
