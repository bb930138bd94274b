import type { SQL } from 'drizzle-orm';
import type { Ctx } from '../../app/deps.js';
import type { Executor } from '../../db/client.js';
import { DomainError } from '../../http/errors.js';
import type { WorkspaceRow } from '../workspaces/repo.js';
import type { Actor, PartnerRole } from './policy.js';
import { findActiveMembership, hasAcceptedTerms, hasConfirmedMfa, type MemberRow } from './repo.js';
import type { Role } from './roles.js';

export interface ActorInWorkspace {
  actor: Actor;
  workspace: WorkspaceRow;
}

export type WorkspaceRequirement = 'terms' | 'mfa';

export function actorOf(member: MemberRow): Actor {
  return {
    userId: member.userId,
    memberId: member.id,
    role: member.role as Role,
    partner: member.localPartnerId && member.partnerRole ? { id: member.localPartnerId, role: member.partnerRole as PartnerRole } : null,
  };
}

/**
 * What a member must still do before using this workspace: accept its terms of service (guests,
 * when the workspace has terms) and turn on MFA (when the workspace requires it for them).
 */
export async function pendingRequirements(db: Executor, workspace: WorkspaceRow, member: MemberRow): Promise<WorkspaceRequirement[]> {
  const out: WorkspaceRequirement[] = [];
  const guest = member.type === 'guest';
  if (guest && workspace.tosVersion > 0 && !(await hasAcceptedTerms(db, workspace.id, member.userId, workspace.tosVersion))) out.push('terms');
  const mfaRequired = workspace.mfaRequirement === 'everyone' || (workspace.mfaRequirement === 'guests' && guest);
  if (mfaRequired && !(await hasConfirmedMfa(db, member.userId))) out.push('mfa');
  return out;
}

/**
 * The caller's standing in a workspace, read fresh on every request (a role change or removal
 * applies to the very next call). Not a member → 404, so ids of other tenants reveal nothing.
 * Unless `gates: false`, a member with pending requirements (terms, MFA) is refused with the
 * precise code, server-side, whatever the client shows.
 */
export async function loadActor(db: Executor, ctx: Ctx, workspaceId: string, opts: { gates?: boolean; alsoRead?: SQL } = {}): Promise<ActorInWorkspace & { member: MemberRow; also: unknown }> {
  if (!ctx.userId) throw new DomainError('unauthenticated');
  // `alsoRead`: what the use case reads next, in the same round trip (its value is in `also`).
  const row = await findActiveMembership(db, workspaceId, ctx.userId, opts.alsoRead);
  if (!row) throw new DomainError('not_found', 'Workspace not found');
  if (opts.gates !== false && (row.workspace.tosVersion > 0 || row.workspace.mfaRequirement !== 'off')) {
    const pending = await pendingRequirements(db, row.workspace, row.member);
    if (pending.includes('terms')) throw new DomainError('tos_acceptance_required');
    if (pending.includes('mfa')) throw new DomainError('mfa_enrolment_required');
  }
  return { actor: actorOf(row.member), workspace: row.workspace, member: row.member, also: row.also };
}

/** Throws the policy's denial, if any. */
export function enforce(denial: DomainError | null): void {
  if (denial) throw denial;
}
