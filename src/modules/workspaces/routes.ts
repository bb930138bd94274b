import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { userCtx } from '../../http/auth.js';
import { wsParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { nameField } from '../auth/schemas.js';
import { INVITABLE_ROLES, ROLES } from '../members/roles.js';
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
    settings: z
      .object({
        inviteExpiryDays: z.number().int(),
        allowedEmailDomains: z.array(z.string()),
        guestInvitesAdminOnly: z.boolean(),
        companyDomains: z.array(z.string()),
        mfaRequirement: z.enum(service.MFA_REQUIREMENTS),
        deviceApprovalRequired: z.boolean(),
        termsVersion: z.number().int(),
      })
      .nullable(),
    partner: z.object({ id: z.uuid(), role: z.enum(['guest_admin', 'guest_user']) }).nullable(),
    pendingRequirements: z.array(z.enum(['terms', 'mfa'])),
    abilities: z.object({ manageSettings: z.boolean(), inviteMembers: z.boolean(), viewActivity: z.boolean(), manageLocations: z.boolean(), transferOwnership: z.boolean(), viewMembers: z.boolean(), invitableRoles: z.array(z.enum(INVITABLE_ROLES)) }),
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
        companyDomains: z.array(domainField).max(100).optional(),
        mfaRequirement: z.enum(service.MFA_REQUIREMENTS).optional(),
        deviceApprovalRequired: z.boolean().optional(),
      }),
      response: { 200: workspaceSchema },
    },
    handler: async (req) => service.updateWorkspace(userCtx(deps, req), req.params.workspaceId, req.body),
  });

  const termsSchema = z.object({ text: z.string(), version: z.number().int(), accepted: z.boolean() }).meta({ id: 'Terms' });

  app.get('/api/workspaces/:workspaceId/terms', {
    config: { auth: 'user' },
    schema: { tags: ['workspaces'], summary: 'The workspace’s terms of service and whether you accepted the current version', params: wsParams, response: { 200: termsSchema } },
    handler: async (req) => service.getTerms(userCtx(deps, req), req.params.workspaceId),
  });

  app.put('/api/workspaces/:workspaceId/terms', {
    config: { auth: 'user' },
    schema: {
      tags: ['workspaces'],
      summary: 'Publish terms of service (admins); guests must accept the new version. Empty text removes them.',
      params: wsParams,
      body: z.strictObject({ text: z.string().max(100_000) }),
      response: { 200: termsSchema },
    },
    handler: async (req) => service.updateTerms(userCtx(deps, req), req.params.workspaceId, req.body),
  });

  app.post('/api/workspaces/:workspaceId/terms/accept', {
    config: { auth: 'user' },
    schema: { tags: ['workspaces'], summary: 'Accept the current terms of service (records time, IP and version)', params: wsParams, body: z.strictObject({ version: z.number().int().min(1) }), response: { 200: termsSchema } },
    handler: async (req) => service.acceptTerms(userCtx(deps, req), req.params.workspaceId, req.body),
  });
}
