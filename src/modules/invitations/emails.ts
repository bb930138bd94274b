import type { AppDeps } from '../../app/deps.js';
import { formatDate, renderMail, ROLE_LABELS } from '../../email/templates.js';
import type { JobResult } from '../../jobs/worker.js';
import { deriveToken } from '../../lib/crypto.js';
import { verifyPassword } from '../auth/passwords.js';
import { findUserById } from '../auth/repo.js';
import { findContext } from './repo.js';
import { INVITATION_TOKEN_PURPOSE, invitationUrl, temporaryPassword } from './links.js';

export { INVITATION_TOKEN_PURPOSE, invitationUrl };
import { effectiveStatus } from './state.js';


/**
 * Rebuilds the link from the invitation id and the nonce of this issue (ADR 0002). A job whose
 * nonce is no longer current (the invitation was resent) or whose invitation is no longer
 * pending is skipped, so a revoked invitation's mail never leaves.
 */
export async function invitationEmail(deps: AppDeps, payload: { invitationId: string; nonce: string }): Promise<JobResult> {
  const row = await findContext(deps.db, payload.invitationId);
  if (!row) return { skip: 'invitation deleted' };
  const inv = row.invitation;
  if (inv.tokenNonce !== payload.nonce) return { skip: 'superseded by a resend' };
  if (effectiveStatus(inv, deps.clock.now()) !== 'pending') return { skip: `invitation ${inv.status}` };
  const token = deriveToken(deps.keys.tokens, INVITATION_TOKEN_PURPOSE, inv.id, inv.tokenNonce);
  const inviter = row.inviterName ?? 'A workspace administrator';
  const account = inv.provisionedUserId ? await findUserById(deps.db, inv.provisionedUserId) : undefined;
  const password = account?.mustChangePassword && account.tempPasswordExpiresAt ? temporaryPassword(deps.keys.tokens, inv.id, inv.tokenNonce) : null;
  // Only a password that still opens the account goes out: a later invitation may have issued a
  // newer one (its own mail carries it); this one then goes out as a plain invitation.
  if (account?.tempPasswordExpiresAt && password && (await verifyPassword(account.passwordHash, password))) {
    // Cerby's guest invitation: workspace, username and a temporary password, and "Join as a guest".
    return {
      mail: renderMail({
        to: inv.email,
        subject: `${inviter} invited you to ${row.workspaceName} as a guest`,
        heading: `Join ${row.workspaceName} as a guest`,
        paragraphs: [
          `${inviter} invited you to the workspace “${row.workspaceName}” on Gatehouse as a guest.`,
          `Workspace: ${row.workspaceName}`,
          `Username: ${inv.email}`,
          `Temporary password: ${password}`,
          `The temporary password works until ${formatDate(account.tempPasswordExpiresAt)}. At your first sign-in you will choose your own password.`,
        ],
        action: { label: 'Join as a guest', url: invitationUrl(deps.config.APP_URL, token) },
        footer: 'If you were not expecting this invitation, you can ignore this email.',
      }),
    };
  }
  const role = ROLE_LABELS[inv.role] ?? inv.role;
  return {
    mail: renderMail({
      to: inv.email,
      subject: `${inviter} invited you to ${row.workspaceName} on Gatehouse`,
      heading: `Join ${row.workspaceName}`,
      paragraphs: [
        `${inviter} invited you to join the workspace “${row.workspaceName}” as ${role}.`,
        `This invitation expires on ${formatDate(inv.expiresAt)}.`,
      ],
      action: { label: 'Accept invitation', url: invitationUrl(deps.config.APP_URL, token) },
      footer: 'If you were not expecting this invitation, you can ignore this email or decline it from the link above.',
    }),
  };
}
