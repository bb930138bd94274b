import { z } from 'zod';

/**
 * Every stable error code Gatehouse answers with, mapped once to its HTTP status and title.
 * Services throw `DomainError(code)`; only the error handler knows about HTTP.
 */
export const errorCatalog = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_json: { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Sign in first' },
  invalid_credentials: { status: 401, title: 'Email or password is incorrect' },
  mfa_required: { status: 401, title: 'Enter the code from your authenticator app to finish signing in' },
  invalid_mfa_code: { status: 401, title: 'That code is not right' },
  mfa_attempts_exceeded: { status: 401, title: 'Too many wrong codes; sign in again' },
  reauth_required: { status: 401, title: 'Confirm it is you: enter your password and a current code' },
  forbidden: { status: 403, title: 'You do not have permission to do this' },
  origin_mismatch: { status: 403, title: 'Cross-site request refused' },
  role_ceiling: { status: 403, title: 'That role is above what you may grant' },
  email_mismatch: { status: 403, title: 'This invitation was sent to a different email address' },
  email_not_verified: { status: 403, title: 'Verify your email address first' },
  current_password_wrong: { status: 403, title: 'The current password is incorrect' },
  password_change_required: { status: 403, title: 'Choose a new password before doing anything else' },
  tos_acceptance_required: { status: 403, title: 'Accept the workspace’s terms of service first' },
  mfa_enrolment_required: { status: 403, title: 'This workspace requires multi-factor authentication: turn it on first' },
  not_found: { status: 404, title: 'Not found' },
  invitation_not_found: { status: 404, title: 'This invitation link is not valid' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  already_member: { status: 409, title: 'You are already a member of this workspace' },
  last_owner: { status: 409, title: 'A workspace must keep its owner' },
  account_exists_login_required: { status: 409, title: 'An account already exists for this email; sign in to accept' },
  invitation_not_pending: { status: 409, title: 'This invitation is no longer pending' },
  inviter_not_permitted: { status: 409, title: 'The person who invited you can no longer grant this role' },
  location_name_taken: { status: 409, title: 'A location with this name already exists' },
  idempotency_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  mfa_already_enabled: { status: 409, title: 'Multi-factor authentication is already on' },
  device_limit: { status: 409, title: 'Too many trusted devices' },
  terms_changed: { status: 409, title: 'The terms changed while you were reading them' },
  partner_name_taken: { status: 409, title: 'A partner with this name already exists' },
  invitation_expired: { status: 410, title: 'This invitation has expired' },
  invitation_revoked: { status: 410, title: 'This invitation was revoked' },
  invitation_replaced: { status: 410, title: 'A newer invitation link was sent' },
  invitation_declined: { status: 410, title: 'This invitation was declined' },
  invitation_used: { status: 410, title: 'This invitation has already been used' },
  verification_link_invalid: { status: 410, title: 'This verification link is not valid any more' },
  device_code_expired: { status: 410, title: 'This code expired' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  unprocessable: { status: 422, title: 'The request cannot be processed' },
  weak_password: { status: 422, title: 'Choose a stronger password' },
  unknown_location: { status: 422, title: 'A location does not exist in this workspace' },
  invalid_ownership_target: { status: 422, title: 'Ownership can only go to an active member' },
  same_domain_guest_admin: { status: 422, title: 'The Guest Admin must use a different email domain from the host admin' },
  idempotency_key_reused: { status: 422, title: 'This Idempotency-Key was used with a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  resend_cooldown: { status: 429, title: 'This invitation was sent moments ago' },
  resend_limit: { status: 429, title: 'This invitation was resent too many times' },
  invite_limit: { status: 429, title: 'Invitation limit reached' },
  internal: { status: 500, title: 'Something went wrong on our side' },
  service_unavailable: { status: 503, title: 'Temporarily unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    /** Extra problem members, e.g. `retryAfter`. */
    readonly extensions: { retryAfter?: number; errors?: ProblemFieldError[] } = {},
  ) {
    super(detail ?? errorCatalog[code].title);
    this.name = 'DomainError';
  }
}

export interface ProblemFieldError {
  path: string;
  message: string;
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    retryAfter: z.number().int().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

export function problemFor(code: ErrorCode, opts: { detail?: string; instance?: string; requestId?: string; retryAfter?: number; errors?: ProblemFieldError[] } = {}): Problem {
  const entry = errorCatalog[code];
  return {
    type: `https://gatehouse.dev/problems/${code}`,
    title: entry.title,
    status: entry.status,
    code,
    ...(opts.detail !== undefined ? { detail: opts.detail } : {}),
    ...(opts.instance !== undefined ? { instance: opts.instance } : {}),
    ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
    ...(opts.retryAfter !== undefined ? { retryAfter: opts.retryAfter } : {}),
    ...(opts.errors !== undefined ? { errors: opts.errors } : {}),
  };
}

export const notFound = (detail?: string) => new DomainError('not_found', detail);
export const forbidden = (detail?: string) => new DomainError('forbidden', detail);
