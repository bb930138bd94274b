import type { components } from './schema';

type Problem = components['schemas']['Problem'];

/**
 * The one map from a problem `code` (src/http/errors.ts) to words a person understands.
 * Codes not listed fall back to the server's `title`; the server's `detail`, when it adds
 * something, is shown underneath.
 */
export const problemMessages: Record<string, string> = {
  validation_failed: 'Some fields need another look.',
  invalid_json: 'The request could not be read. Reload the page and try again.',
  unauthenticated: 'Your session has ended. Sign in again.',
  invalid_credentials: 'That email and password do not match an account.',
  forbidden: 'You do not have permission to do this.',
  origin_mismatch: 'This request came from another site and was refused. Reload Gatehouse and try again.',
  role_ceiling: 'That role is above what you may grant.',
  email_mismatch: 'This invitation was sent to a different email address.',
  email_not_verified: 'Verify your email address first.',
  current_password_wrong: 'Your current password is not correct.',
  not_found: 'We could not find that. It may have been removed, or you may not have access to it.',
  invitation_not_found: 'This invitation link is not valid.',
  conflict: 'Something changed in the meantime. Reload and try again.',
  already_member: 'You are already a member of this workspace.',
  last_owner: 'A workspace must keep its owner. Transfer ownership first.',
  account_exists_login_required: 'An account already exists for this email. Sign in to accept the invitation.',
  invitation_not_pending: 'This invitation is no longer pending.',
  inviter_not_permitted: 'The person who invited you can no longer grant this role. Ask an administrator for a new invitation.',
  location_name_taken: 'A location with this name already exists.',
  invitation_expired: 'This invitation has expired.',
  invitation_revoked: 'This invitation was withdrawn.',
  invitation_replaced: 'A newer invitation link was sent.',
  invitation_declined: 'This invitation was declined.',
  invitation_used: 'This invitation has already been used.',
  verification_link_invalid: 'This verification link has expired or was already used.',
  weak_password: 'Choose a stronger password.',
  unknown_location: 'One of the chosen locations no longer exists.',
  invalid_ownership_target: 'Ownership can only go to an active member.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  resend_cooldown: 'This invitation was sent moments ago. Wait a little before sending it again.',
  resend_limit: 'This invitation was resent too many times. Revoke it and invite again.',
  invite_limit: 'Invitation limit reached for now. Try again later or in smaller batches.',
  internal: 'Something went wrong on our side. Try again.',
  service_unavailable: 'Gatehouse is temporarily unavailable. Try again shortly.',
  network_error: 'Cannot reach the Gatehouse server.',
};

export function describeProblem(p: Problem): { title: string; detail?: string; fields: { path: string; message: string }[] } {
  const title = problemMessages[p.code] ?? p.title;
  const detail = p.detail && p.detail !== p.title && p.detail !== title ? p.detail : undefined;
  return { title, ...(detail ? { detail } : {}), fields: p.errors ?? [] };
}

/** Reasons the API gives for skipping an address in a bulk invitation. */
export const skipReasonLabels: Record<string, string> = {
  invalid: 'Not a valid email address',
  duplicate: 'Listed twice',
  already_member: 'Already a member',
  already_pending: 'Already has a pending invitation',
  domain_not_allowed: 'Domain not allowed in this workspace',
};
