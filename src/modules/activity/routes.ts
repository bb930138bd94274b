import { z } from 'zod';
import type { AppDeps } from '../../app/deps.js';
import { userCtx } from '../../http/auth.js';
import { pageQuery, pageSchema } from '../../http/pagination.js';
import { csvEnum, wsParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { ACTIVITY_TYPES } from './events.js';
import * as service from './service.js';

export const activitySchema = z
  .object({
    id: z.uuid(),
    type: z.string(),
    createdAt: z.date(),
    actorUserId: z.uuid().nullable(),
    targetUserId: z.uuid().nullable(),
    subjectType: z.string().nullable(),
    subjectId: z.uuid().nullable(),
    data: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .meta({ id: 'ActivityEvent' });

export function activityRoutes(app: App, deps: AppDeps) {
  app.get('/api/workspaces/:workspaceId/activity', {
    config: { auth: 'user' },
    schema: {
      tags: ['activity'],
      summary: 'Activity log, newest first (admins)',
      params: wsParams,
      querystring: z.strictObject({
        ...pageQuery,
        type: csvEnum(ACTIVITY_TYPES).optional(),
        actorUserId: z.uuid().optional(),
        targetUserId: z.uuid().optional(),
        subjectId: z.uuid().optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
      }),
      response: { 200: pageSchema(activitySchema) },
    },
    handler: async (req) => service.listActivity(userCtx(deps, req), req.params.workspaceId, req.query),
  });
}
