import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { userCtx } from '../../http/auth.js';
import { wsParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { nameField } from '../auth/schemas.js';
import { ROLES } from '../members/roles.js';
import * as service from './service.js';

const domainField = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'Not a domain name');

export const workspaceSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    publicId: z.string().nullable(),
    role: z.enum(ROLES),
    memberId: z.uuid(),
    createdAt: z.date(),
    settings: z.object({ inviteExpiryDays: z.number().int(), allowedEmailDomains: z.array(z.string()), guestInvitesAdminOnly: z.boolean() }).nullable(),
    abilities: z.object({ manageSettings: z.boolean(), inviteMembers: z.boolean(), viewActivity: z.boolean(), manageLocations: z.boolean(), transferOwnership: z.boolean() }),
  })
  .meta({ id: 'Workspace' });

export function workspaceRoutes(app: App, deps: AppDeps) {
  app.post('/api/workspaces', {
    config: { auth: 'user' },
    schema: { tags: ['workspaces'], summary: 'Create a workspace; you become its owner', body: z.strictObject({ name: nameField }), response: { 201: workspaceSchema } },
    handler: async (req, reply) => reply.code(201).send(await service.createWorkspace(userCtx(deps, req), req.body)),
  });

  app.get('/api/workspaces', {
    config: { auth: 'user' },
    schema: { tags: ['workspaces'], summary: 'Workspaces you are an active member of', response: { 200: z.object({ items: z.array(workspaceSchema) }) } },
    handler: async (req) => ({ items: await service.listMyWorkspaces(userCtx(deps, req)) }),
  });

  app.get('/api/workspaces/:workspaceId', {
    config: { auth: 'user' },
    schema: { tags: ['workspaces'], summary: 'One workspace', params: wsParams, response: { 200: workspaceSchema } },
    handler: async (req) => service.getWorkspace(userCtx(deps, req), req.params.workspaceId),
  });

  app.patch('/api/workspaces/:workspaceId', {
    config: { auth: 'user' },
    schema: {
      tags: ['workspaces'],
      summary: 'Rename or change settings (admins)',
      params: wsParams,
      body: z.strictObject({
        name: nameField.optional(),
        inviteExpiryDays: z.number().int().min(1).max(30).optional(),
        allowedEmailDomains: z.array(domainField).max(100).optional(),
        guestInvitesAdminOnly: z.boolean().optional(),
      }),
      response: { 200: workspaceSchema },
    },
    handler: async (req) => service.updateWorkspace(userCtx(deps, req), req.params.workspaceId, req.body),
  });
}
