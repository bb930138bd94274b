import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { userCtx } from '../../http/auth.js';
import { idParams, wsParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { nameField } from '../auth/schemas.js';
import * as service from './service.js';

export const locationSchema = z.object({ id: z.uuid(), name: z.string(), createdAt: z.date(), memberCount: z.number().int().optional() }).meta({ id: 'Location' });
const locationParams = idParams('locationId');

export function locationRoutes(app: App, deps: AppDeps) {
  app.get('/api/workspaces/:workspaceId/locations', {
    config: { auth: 'user' },
    schema: { tags: ['locations'], summary: 'Locations of the workspace', params: wsParams, response: { 200: z.object({ items: z.array(locationSchema) }) } },
    handler: async (req) => ({ items: (await service.listLocations(userCtx(deps, req), req.params.workspaceId)).map((l) => ({ ...l, memberCount: Number(l.memberCount) })) }),
  });

  app.post('/api/workspaces/:workspaceId/locations', {
    config: { auth: 'user' },
    schema: { tags: ['locations'], summary: 'Create a location (admins)', params: wsParams, body: z.strictObject({ name: nameField }), response: { 201: locationSchema } },
    handler: async (req, reply) => reply.code(201).send(await service.createLocation(userCtx(deps, req), req.params.workspaceId, req.body)),
  });

  app.patch('/api/workspaces/:workspaceId/locations/:locationId', {
    config: { auth: 'user' },
    schema: { tags: ['locations'], summary: 'Rename a location (admins)', params: locationParams, body: z.strictObject({ name: nameField }), response: { 200: locationSchema } },
    handler: async (req) => service.renameLocation(userCtx(deps, req), req.params.workspaceId, req.params.locationId, req.body),
  });

  app.delete('/api/workspaces/:workspaceId/locations/:locationId', {
    config: { auth: 'user' },
    schema: { tags: ['locations'], summary: 'Delete a location (admins); members lose that scope', params: locationParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      await service.deleteLocation(userCtx(deps, req), req.params.workspaceId, req.params.locationId);
      return reply.code(204).send(null);
    },
  });
}
