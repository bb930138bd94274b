import { z } from 'zod';
import { problemSchema } from './errors.js';

/** `?role=admin,user` → ['admin','user']; a repeated parameter is refused (no arrays in queries). */
export const csvEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(500)
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).max(values.length));

export const wsParams = z.strictObject({ workspaceId: z.uuid() });
export const idParams = <K extends string>(key: K) => z.strictObject({ workspaceId: z.uuid(), [key]: z.uuid() } as { workspaceId: z.ZodUUID } & Record<K, z.ZodUUID>);

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/** Problem responses every route documents (added by an onRoute hook in buildApp). */
export const standardProblems = {
  400: problem('Invalid request (validation_failed, invalid_json)'),
  401: problem('Not signed in (unauthenticated, invalid_credentials)'),
  403: problem('Not allowed (forbidden, role_ceiling, email_mismatch, origin_mismatch, …)'),
  404: problem('Not found, or not yours (not_found, invitation_not_found)'),
  409: problem('Conflicts with the current state (last_owner, already_member, …)'),
  410: problem('Link no longer usable (invitation_expired, invitation_revoked, invitation_replaced, invitation_declined, invitation_used)'),
  422: problem('Understood but not processable (weak_password, unknown_location, …)'),
  429: problem('Too many requests (rate_limited, invite_limit, resend_cooldown)'),
  500: problem('Internal error (internal)'),
} as const;

export const noContent = { 204: z.null().describe('Done') };
