import type { Ctx } from '../../app/deps.js';
import type { Executor } from '../../db/client.js';
import { DomainError } from '../../http/errors.js';
import type { WorkspaceRow } from '../workspaces/repo.js';
import type { Actor } from './policy.js';
import { findActiveMembership } from './repo.js';
import type { Role } from './roles.js';

export interface ActorInWorkspace {
  actor: Actor;
  workspace: WorkspaceRow;
}

/**
 * The caller's standing in a workspace, read fresh on every request (a role change or removal
 * applies to the very next call). Not a member → 404, so ids of other tenants reveal nothing.
 */
export async function loadActor(db: Executor, ctx: Ctx, workspaceId: string): Promise<ActorInWorkspace> {
  if (!ctx.userId) throw new DomainError('unauthenticated');
  const row = await findActiveMembership(db, workspaceId, ctx.userId);
  if (!row) throw new DomainError('not_found', 'Workspace not found');
  return { actor: { userId: ctx.userId, memberId: row.member.id, role: row.member.role as Role }, workspace: row.workspace };
}

/** Throws the policy's denial, if any. */
export function enforce(denial: DomainError | null): void {
  if (denial) throw denial;
}
