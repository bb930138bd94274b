import type { AppDeps } from '../app/deps.js';
import { recordActivity } from '../modules/activity/record.js';
import { findAnyById } from '../modules/invitations/repo.js';
import type { OutboxRow } from './outbox.js';

/**
 * A mail that failed every attempt must not disappear quietly: an invitation mail that died is
 * recorded in its workspace's activity log (admins see it there and can resend), every other
 * kind in the log of the system; the row itself stays `failed` with its last error.
 */
export async function recordDeadLetter(deps: AppDeps, row: OutboxRow, error: string): Promise<void> {
  const payload = row.payload as { invitationId?: string };
  const invitation = row.kind === 'email.invitation' && payload.invitationId ? await findAnyById(deps.db, payload.invitationId) : undefined;
  await deps.db.transaction((tx) =>
    recordActivity(tx, { ...deps, userId: null, meta: {} }, [
      {
        type: 'email.dead_lettered',
        workspaceId: invitation?.workspaceId ?? null,
        actorUserId: null,
        subjectType: invitation ? 'invitation' : 'outbox',
        subjectId: invitation?.id ?? row.id,
        data: { kind: row.kind, outboxId: row.id, attempts: row.attempts, error: error.slice(0, 500), ...(invitation ? { email: invitation.email } : {}) },
      },
    ]),
  );
}
