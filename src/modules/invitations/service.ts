import type { Ctx } from '../../app/deps.js';
import { DAY, HOUR } from '../../app/context.js';
import type { Executor, Tx } from '../../db/client.js';
import { retryOnUniqueViolation } from '../../db/errors.js';
import { WriteBatch } from '../../db/write-batch.js';
import { DomainError } from '../../http/errors.js';
import { decodeCursor, pageOf } from '../../http/pagination.js';
import { deriveToken, hashToken, randomToken } from '../../lib/crypto.js';
import { emailDomain, parseEmail } from '../../lib/email-address.js';
import { enqueue } from '../../jobs/outbox.js';
import type { ActivityInput } from '../activity/events.js';
import { recordActivity } from '../activity/record.js';
import { checkPasswordPolicy, hashPassword } from '../auth/passwords.js';
import * as authRepo from '../auth/repo.js';
import { issueSession } from '../auth/sessions.js';
import { actorOf, enforce, loadActor } from '../members/actor.js';
import { allowed, canInvite, canListInvitations, canManageInvitation, type Actor, type PartnerRole, type WorkspaceRules } from '../members/policy.js';
import * as membersRepo from '../members/repo.js';
import { isAdminRole, memberTypeForRole, roleTakesLocations, type InvitableRole, type Role } from '../members/roles.js';
import { findActivePartner } from '../guests/repo.js';
import { canInviteToPartner } from '../guests/policy.js';
import { assertLocationsExist, listLocations } from '../locations/repo.js';
import type { WorkspaceRow } from '../workspaces/repo.js';
import { INVITATION_TOKEN_PURPOSE, temporaryPassword } from './links.js';
import * as repo from './repo.js';
import { effectiveStatus, goneCode, type InvitationStatus, type SkipReason } from './state.js';

const rulesOf = (ws: WorkspaceRow): WorkspaceRules => ({ guestInvitesAdminOnly: ws.guestInvitesAdminOnly });

/** A fresh link: a random nonce, and the token derived from it (ADR 0002). Only the hash is stored. */
function newLink(ctx: Ctx, invitationId: string) {
  const tokenNonce = randomToken((n) => ctx.random.bytes(n));
  const token = deriveToken(ctx.keys.tokens, INVITATION_TOKEN_PURPOSE, invitationId, tokenNonce);
  return { tokenNonce, tokenHash: hashToken(token) };
}

export function presentInvitation(row: repo.InvitationRow, inviterName: string | null, actor: Actor, rules: WorkspaceRules, ctx: Ctx) {
  const now = ctx.clock.now();
  const status = effectiveStatus(row, now);
  const resendAvailableAt = new Date(row.lastSentAt.getTime() + ctx.config.INVITE_RESEND_COOLDOWN_SECONDS * 1000);
  const manageable = allowed(canManageInvitation(actor, { role: row.role as InvitableRole, inviterUserId: row.inviterUserId }, rules));
  return {
    id: row.id,
    email: row.emailDisplay,
    role: row.role as InvitableRole,
    type: row.type as 'member' | 'guest',
    status,
    locationIds: row.locationIds,
    inviter: row.inviterUserId ? { id: row.inviterUserId, name: inviterName ?? '' } : null,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    lastSentAt: row.lastSentAt,
    resendCount: row.resendCount,
    resendAvailableAt,
    respondedAt: row.respondedAt,
    abilities: {
      resend: manageable && (status === 'pending' || status === 'expired') && row.resendCount < ctx.config.INVITE_MAX_RESENDS,
      revoke: manageable && (status === 'pending' || status === 'expired'),
    },
  };
}

export type PresentedInvitation = ReturnType<typeof presentInvitation>;

export interface InviteInput {
  emails: string[];
  role: InvitableRole;
  locationIds?: string[] | undefined;
  /** Guests of a local partner (Cerby): which partner and which partner role. */
  localPartnerId?: string | undefined;
  partnerRole?: PartnerRole | undefined;
}

/** Guest invitations last 3 days (Cerby); temporary passwords 48 hours. */
export const GUEST_INVITATION_DAYS = 3;
export const TEMP_PASSWORD_HOURS = 48;

/**
 * Bulk invitation in one transaction: normalise, de-duplicate, partition into created and
 * skipped (with a reason per address), then write invitations, their emails (outbox) and their
 * activity together. A role above the inviter's refuses the whole request and creates nothing.
 */
export async function inviteMembers(ctx: Ctx, workspaceId: string, input: InviteInput) {
  assertBatchSize(ctx, input.emails.length);
  const addresses = parseAddresses(input.emails);
  return invitationTransaction(ctx, async (tx) => {
    // The caller's standing and the invitation pre-checks, in one round trip.
    const checksQuery = { workspaceId, emails: validAddresses(addresses), since: new Date(ctx.clock.now().getTime() - HOUR), countedUserId: ctx.userId!, inviterUserId: ctx.userId! };
    const { actor, workspace, also } = await loadActor(tx, ctx, workspaceId, { alsoRead: repo.inviteChecksSql(checksQuery) });
    enforce(canInvite(actor, input.role, rulesOf(workspace)));
    // Partner guests are invited by admins here, or by the partner's Guest Admins on the partner's routes.
    if (input.localPartnerId !== undefined && !isAdminRole(actor.role)) throw new DomainError('forbidden', 'Only admins add guests to a local partner here');
    return createInvitations(tx, ctx, actor, workspace, input, { addresses, checks: repo.parseInviteChecks(also) });
  });
}

/**
 * Invites guests (the entry point for other modules, e.g. the password-manager importer inviting
 * its unmatched users once a migration succeeded): same rules as `POST …/invitations` with role
 * `guest` — who may invite guests, company domains refused, 3-day links, temporary passwords.
 */
export function inviteGuests(ctx: Ctx, workspaceId: string, input: { emails: string[]; localPartnerId?: string; partnerRole?: PartnerRole }) {
  return inviteMembers(ctx, workspaceId, { ...input, role: 'guest' });
}

/**
 * The transaction of a use case that creates invitations: run again when a concurrent request
 * invited one of the same addresses first (the next run sees that invitation and skips the
 * address as already pending).
 */
export function invitationTransaction<T>(ctx: Ctx, run: (tx: Tx) => Promise<T>): Promise<T> {
  return retryOnUniqueViolation(repo.ONE_PENDING_CONSTRAINT, () => ctx.db.transaction(run));
}

export function assertBatchSize(ctx: Ctx, n: number): void {
  if (n > ctx.config.BULK_INVITE_MAX) throw new DomainError('validation_failed', `At most ${ctx.config.BULK_INVITE_MAX} addresses per request`);
}

type ParsedAddress = { raw: string; parsed: ReturnType<typeof parseEmail> };

function parseAddresses(emails: string[]): ParsedAddress[] {
  return emails.map((raw) => ({ raw, parsed: parseEmail(raw) }));
}

/** The distinct normalised valid addresses: what the pre-checks look up. */
function validAddresses(addresses: ParsedAddress[]): string[] {
  return [...new Set(addresses.flatMap((a) => (a.parsed.ok ? [a.parsed.email] : [])))];
}

/**
 * The invitation writer shared by every caller that has already authorised the actor (members
 * and guests, local partners, and later the importer). Guests differ in three ways: addresses on
 * the company's own domains are refused, invitations last 3 days, and a person with no account
 * gets one at once, with a temporary password sent in the mail (Cerby).
 */
export async function createInvitations(
  tx: Executor,
  ctx: Ctx,
  actor: Actor,
  workspace: WorkspaceRow,
  input: InviteInput,
  /** Already parsed, and pre-checked (`inviteChecksSql` on the valid addresses) by the caller. */
  prepared?: { addresses: ParsedAddress[]; checks: repo.InviteChecks },
) {
  const workspaceId = workspace.id;
  const rules = rulesOf(workspace);
  const guest = input.role === 'guest';
  if (!guest && (input.localPartnerId || input.partnerRole)) throw new DomainError('unprocessable', 'Only guests belong to local partners');
  if (input.localPartnerId && !(await findActivePartner(tx, workspaceId, input.localPartnerId))) throw new DomainError('not_found', 'Local partner not found');
  const partnerRole = input.localPartnerId ? (input.partnerRole ?? 'guest_user') : null;
  const locationIds = [...new Set(input.locationIds ?? [])];
  if (locationIds.length && !roleTakesLocations(input.role)) throw new DomainError('unprocessable', 'Only users and guests are limited to locations');
  await assertLocationsExist(tx, workspaceId, locationIds);

  const now = ctx.clock.now();
  const skipped: { email: string; reason: SkipReason }[] = [];
  const candidates = new Map<string, string>(); // normalised → as typed
  const allowedDomains = new Set(workspace.allowedEmailDomains);
  const companyDomains = new Set(guest ? workspace.companyDomains : []);
  for (const { raw, parsed } of prepared?.addresses ?? parseAddresses(input.emails)) {
    if (!parsed.ok) skipped.push({ email: raw.trim().slice(0, 320), reason: 'invalid' });
    else if (candidates.has(parsed.email)) skipped.push({ email: raw.trim(), reason: 'duplicate' });
    else if (companyDomains.has(emailDomain(parsed.email))) skipped.push({ email: raw.trim(), reason: 'company_domain' });
    else if (!guest && allowedDomains.size && !allowedDomains.has(emailDomain(parsed.email))) skipped.push({ email: raw.trim(), reason: 'domain_not_allowed' });
    else candidates.set(parsed.email, raw.trim());
  }

  const emails = [...candidates.keys()];
  const checks = prepared?.checks ?? (await repo.inviteChecks(tx, { workspaceId, emails, since: new Date(now.getTime() - HOUR), countedUserId: ctx.userId!, inviterUserId: actor.userId }));
  const members = checks.members;
  const pending = checks.pending.filter((p) => !members.has(p.email));
  const stillPending = new Set(pending.filter((p) => p.expiresAt > now).map((p) => p.email));
  await repo.materialiseExpired(tx, workspaceId, pending.filter((p) => p.expiresAt <= now).map((p) => p.id), now);

  const toCreate: string[] = [];
  for (const email of emails) {
    if (members.has(email)) skipped.push({ email: candidates.get(email)!, reason: 'already_member' });
    else if (stillPending.has(email)) skipped.push({ email: candidates.get(email)!, reason: 'already_pending' });
    else toCreate.push(email);
  }
  enforceInviteCaps(ctx, checks.counts, toCreate.length);

  const expiresAt = new Date(now.getTime() + (guest ? GUEST_INVITATION_DAYS : workspace.inviteExpiryDays) * DAY);
  const rows: repo.NewInvitationRow[] = toCreate.map((email) => {
    const id = ctx.random.uuid();
    return {
      id,
      workspaceId,
      email,
      emailDisplay: candidates.get(email)!,
      role: input.role,
      type: memberTypeForRole(input.role),
      locationIds,
      inviterUserId: actor.userId,
      status: 'pending',
      expiresAt,
      ...newLink(ctx, id),
      resendCount: 0,
      lastSentAt: now,
      localPartnerId: input.localPartnerId ?? null,
      partnerRole,
      createdAt: now,
      updatedAt: now,
    };
  });
  if (guest) await provisionGuestAccounts(tx, ctx, rows);
  // The invitations, their emails and their activity go to the database in one statement.
  const batch = new WriteBatch();
  const created = repo.insertMany(tx, rows, batch);
  repo.countCreated(tx, batch, { workspaceId, inviterUserId: ctx.userId!, now, created: created.length, pruneBefore: new Date(now.getTime() - HOUR) });
  await enqueue(tx, ctx, created.map((c) => ({ kind: 'email.invitation' as const, payload: { invitationId: c.id, nonce: c.tokenNonce } })), batch);
  await recordActivity(
    tx,
    ctx,
    [
      ...created.map((c): ActivityInput => ({
        type: 'invitation.created',
        workspaceId,
        subjectType: 'invitation',
        subjectId: c.id,
        data: { email: c.email, role: c.role, locationIds, ...(c.localPartnerId ? { localPartnerId: c.localPartnerId, partnerRole: c.partnerRole } : {}) },
      })),
      ...created
        .filter((c) => c.provisionedUserId)
        .map((c): ActivityInput => ({ type: 'auth.temporary_password_issued', workspaceId, targetUserId: c.provisionedUserId, subjectType: 'invitation', subjectId: c.id, data: { email: c.email } })),
    ],
    batch,
  );
  const inviterName = checks.inviterName;
  return { created: created.map((c) => presentInvitation(c, inviterName, actor, rules, ctx)), skipped };
}

/**
 * Guests who have no account get one now: username = their email, a temporary password valid
 * 48 hours (mailed with the invitation), and a forced change at first sign-in. An account made by
 * an earlier guest invitation and never set up has no password of its own (its temporary one may
 * have expired or been revoked): it gets a new temporary password with this invitation, which
 * replaces the old one, or it could never sign in to use the invitation.
 */
async function provisionGuestAccounts(tx: Executor, ctx: Ctx, rows: repo.NewInvitationRow[]): Promise<void> {
  const existing = await authRepo.findUsersByEmails(tx, rows.map((r) => r.email));
  const now = ctx.clock.now();
  const fresh = rows.filter((r) => !existing.has(r.email) || existing.get(r.email)!.mustChangePassword);
  const hashes = await Promise.all(fresh.map((r) => hashPassword(temporaryPassword(ctx.keys.tokens, r.id!, r.tokenNonce))));
  for (const [i, r] of fresh.entries()) {
    const unfinished = existing.get(r.email);
    if (unfinished) {
      await authRepo.updateUser(tx, unfinished.id, { passwordHash: hashes[i]!, tempPasswordExpiresAt: new Date(now.getTime() + TEMP_PASSWORD_HOURS * HOUR), updatedAt: now });
      await authRepo.revokeAllSessions(tx, unfinished.id, now);
      r.provisionedUserId = unfinished.id;
      continue;
    }
    const user = await authRepo.insertUser(tx, {
      id: ctx.random.uuid(),
      email: r.email,
      name: r.email.slice(0, r.email.indexOf('@')),
      passwordHash: hashes[i]!,
      mustChangePassword: true,
      tempPasswordExpiresAt: new Date(now.getTime() + TEMP_PASSWORD_HOURS * HOUR),
      createdAt: now,
      updatedAt: now,
    });
    if (user) r.provisionedUserId = user.id;
  }
}

/** Spam limits per inviter and per workspace per hour, counted in the database (correct with N instances). */
function enforceInviteCaps(ctx: Ctx, counts: repo.InviteChecks['counts'], adding: number): void {
  if (adding === 0) return;
  if (counts.byInviter + adding > ctx.config.INVITES_PER_INVITER_PER_HOUR || counts.byWorkspace + adding > ctx.config.INVITES_PER_WORKSPACE_PER_HOUR) {
    throw new DomainError('invite_limit', 'Too many invitations in the last hour; try again later or in smaller batches', { retryAfter: 3600 });
  }
}

export interface ListInvitationsInput {
  status?: InvitationStatus[] | undefined;
  type?: 'member' | 'guest' | undefined;
  q?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export async function listInvitations(ctx: Ctx, workspaceId: string, input: ListInvitationsInput) {
  const { actor, workspace } = await loadActor(ctx.db, ctx, workspaceId);
  enforce(canListInvitations(actor));
  const rows = await repo.list(ctx.db, { workspaceId, status: input.status, type: input.type, q: input.q, before: decodeCursor(input.cursor), limit: input.limit, now: ctx.clock.now() });
  const page = pageOf(rows.map((r) => ({ ...r, createdAt: r.invitation.createdAt, id: r.invitation.id })), input.limit);
  return { items: page.items.map((r) => presentInvitation(r.invitation, r.inviterName, actor, rulesOf(workspace), ctx)), nextCursor: page.nextCursor };
}

export async function getInvitation(ctx: Ctx, workspaceId: string, id: string) {
  const { actor, workspace } = await loadActor(ctx.db, ctx, workspaceId);
  enforce(canListInvitations(actor));
  const row = await repo.findWithInviter(ctx.db, workspaceId, id);
  if (!row) throw new DomainError('not_found', 'Invitation not found');
  return presentInvitation(row.invitation, row.inviterName, actor, rulesOf(workspace), ctx);
}

/** The invitation, locked, and the caller's standing, once the caller may resend or revoke it. */
async function loadManageableInvitation(tx: Executor, ctx: Ctx, workspaceId: string, id: string) {
  const { actor, workspace } = await loadActor(tx, ctx, workspaceId);
  const row = await repo.findByIdForUpdate(tx, workspaceId, id);
  if (!row) throw new DomainError('not_found', 'Invitation not found');
  enforce(canListInvitations(actor));
  enforce(canManageInvitation(actor, { role: row.role as InvitableRole, inviterUserId: row.inviterUserId }, rulesOf(workspace)));
  return { actor, workspace, row };
}

/** New link, old link dead (410 replaced), expiry restarted; role, email and workspace unchanged. */
export async function resendInvitation(ctx: Ctx, workspaceId: string, id: string) {
  return ctx.db.transaction(async (tx) => {
    const { actor, workspace, row } = await loadManageableInvitation(tx, ctx, workspaceId, id);
    return resendRow(tx, ctx, actor, workspace, row);
  });
}

/**
 * Resends an invitation the caller is already allowed to manage: new link (the old one answers
 * `invitation_replaced`), restarted expiry, and for a guest who never signed in a new temporary
 * password that replaces the old one.
 */
export async function resendRow(tx: Executor, ctx: Ctx, actor: Actor, workspace: WorkspaceRow, row: repo.InvitationRow) {
  const now = ctx.clock.now();
  const status = effectiveStatus(row, now);
  if (status !== 'pending' && status !== 'expired') throw new DomainError('invitation_not_pending', `This invitation is ${status}`);
  const availableAt = row.lastSentAt.getTime() + ctx.config.INVITE_RESEND_COOLDOWN_SECONDS * 1000;
  if (availableAt > now.getTime()) {
    throw new DomainError('resend_cooldown', 'Wait a moment before sending this invitation again', { retryAfter: Math.ceil((availableAt - now.getTime()) / 1000) });
  }
  if (row.resendCount >= ctx.config.INVITE_MAX_RESENDS) throw new DomainError('resend_limit');
  const link = newLink(ctx, row.id);
  const days = row.type === 'guest' ? GUEST_INVITATION_DAYS : workspace.inviteExpiryDays;
  const updated = await repo.rotateToken(tx, row, { ...link, expiresAt: new Date(now.getTime() + days * DAY), inviterUserId: actor.userId, now });
  if (!updated) throw new DomainError('invitation_not_pending');
  const events: ActivityInput[] = [{ type: 'invitation.resent', workspaceId: workspace.id, subjectType: 'invitation', subjectId: row.id, data: { email: row.email, resendCount: updated.resendCount } }];
  if (row.provisionedUserId) {
    const account = await authRepo.findUserById(tx, row.provisionedUserId);
    if (account?.mustChangePassword) {
      const passwordHash = await hashPassword(temporaryPassword(ctx.keys.tokens, row.id, link.tokenNonce));
      await authRepo.updateUser(tx, account.id, { passwordHash, tempPasswordExpiresAt: new Date(now.getTime() + TEMP_PASSWORD_HOURS * HOUR), updatedAt: now });
      await authRepo.revokeAllSessions(tx, account.id, now);
      events.push({ type: 'auth.temporary_password_issued', workspaceId: workspace.id, targetUserId: account.id, subjectType: 'invitation', subjectId: row.id, data: { email: row.email, resend: true } });
    }
  }
  await enqueue(tx, ctx, [{ kind: 'email.invitation', payload: { invitationId: row.id, nonce: link.tokenNonce } }]);
  await recordActivity(tx, ctx, events);
  const inviterName = (await authRepo.findUserById(tx, actor.userId))?.name ?? null;
  return presentInvitation(updated, inviterName, actor, rulesOf(workspace), ctx);
}

/** A revoked guest invitation also ends a temporary password that was never used. */
export async function expireUnusedTemporaryPasswords(tx: Executor, userIds: (string | null)[], now: Date): Promise<void> {
  for (const id of userIds) {
    if (!id) continue;
    const account = await authRepo.findUserById(tx, id);
    if (account?.mustChangePassword) {
      await authRepo.updateUser(tx, id, { tempPasswordExpiresAt: now, updatedAt: now });
      await authRepo.revokeAllSessions(tx, id, now);
    }
  }
}

export async function revokeInvitation(ctx: Ctx, workspaceId: string, id: string) {
  await ctx.db.transaction(async (tx) => {
    const { row } = await loadManageableInvitation(tx, ctx, workspaceId, id);
    const revoked = await repo.markRevoked(tx, workspaceId, id, ctx.clock.now());
    if (!revoked) {
      const now = await repo.findById(tx, workspaceId, id);
      throw new DomainError('invitation_not_pending', `This invitation is ${now?.status ?? 'gone'}; remove the member instead`);
    }
    await expireUnusedTemporaryPasswords(tx, [row.provisionedUserId], ctx.clock.now());
    await recordActivity(tx, ctx, [{ type: 'invitation.revoked', workspaceId, subjectType: 'invitation', subjectId: id, data: { email: row.email } }]);
  });
}

/**
 * Resolves a link with `find` (by the token's hash): unknown → 404 (same body for any token),
 * known but unusable → 410 with why.
 */
async function resolveLink<T extends { invitation: repo.InvitationRow }>(db: Executor, token: string, now: Date, find: (tokenHash: string) => Promise<T | undefined>): Promise<T> {
  if (token.length < 20 || token.length > 200) throw new DomainError('invitation_not_found');
  const tokenHash = hashToken(token);
  const found = await find(tokenHash);
  if (!found) {
    if (await repo.isSupersededToken(db, tokenHash)) throw new DomainError('invitation_replaced');
    throw new DomainError('invitation_not_found');
  }
  const gone = goneCode(effectiveStatus(found.invitation, now));
  if (gone) throw new DomainError(gone);
  return found;
}

async function resolveToken(db: Executor, token: string, now: Date): Promise<repo.InvitationRow> {
  const found = await resolveLink(db, token, now, async (tokenHash) => {
    const invitation = await repo.findByTokenHash(db, tokenHash);
    return invitation && { invitation };
  });
  return found.invitation;
}

function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  return `${local.slice(0, 1)}${'•'.repeat(Math.max(1, Math.min(local.length - 1, 6)))}${email.slice(at)}`;
}

/** What the landing page may show: workspace, inviter, role, expiry and a masked address. */
export async function previewInvitation(ctx: Ctx, token: string) {
  const row = await resolveToken(ctx.db, token, ctx.clock.now());
  const context = (await repo.findContext(ctx.db, row.id))!;
  const signedInUser = ctx.userId ? await authRepo.findUserById(ctx.db, ctx.userId) : undefined;
  return {
    workspaceName: context.workspaceName,
    inviterName: context.inviterName,
    role: row.role as InvitableRole,
    type: row.type as 'member' | 'guest',
    expiresAt: row.expiresAt,
    emailHint: maskEmail(row.email),
    /** For a signed-in visitor only: whether this invitation is theirs (drives the landing page). */
    signedInEmailMatches: signedInUser ? signedInUser.email === row.email : null,
  };
}

export async function declineInvitation(ctx: Ctx, token: string) {
  await ctx.db.transaction(async (tx) => {
    const row = await resolveToken(tx, token, ctx.clock.now());
    await declineRow(tx, ctx, row);
  });
}

async function declineRow(tx: Executor, ctx: Ctx, row: repo.InvitationRow) {
  const declined = await repo.markDeclined(tx, row.id, ctx.clock.now());
  if (!declined) throw await preciseFailure(tx, row.id, ctx.clock.now());
  await recordActivity(tx, ctx, [{ type: 'invitation.declined', workspaceId: row.workspaceId, subjectType: 'invitation', subjectId: row.id, data: { email: row.email } }]);
}

/** After a guarded update matched nothing: re-read and say exactly what happened. */
async function preciseFailure(tx: Executor, id: string, now: Date): Promise<DomainError> {
  const fresh = await repo.findAnyById(tx, id);
  const gone = fresh ? goneCode(effectiveStatus(fresh, now)) : 'invitation_not_found';
  return new DomainError(gone ?? 'invitation_replaced');
}

/** Accept re-checks the grant: the inviter must still be allowed to send this very invitation. */
async function inviterStillMayGrant(tx: Executor, inviter: Actor, workspace: WorkspaceRow, row: repo.InvitationRow): Promise<boolean> {
  if (!row.localPartnerId) return allowed(canInvite(inviter, row.role as InvitableRole, rulesOf(workspace)));
  if (!(await findActivePartner(tx, workspace.id, row.localPartnerId))) return false;
  return allowed(canInviteToPartner(inviter, row.localPartnerId, (row.partnerRole ?? 'guest_user') as PartnerRole));
}

type AcceptOutcome = { kind: 'joined'; memberId: string; workspaceId: string } | { kind: 'already_member'; workspaceId: string };

/** What acceptance reads besides the invitation: the invitee's membership and the inviter's standing. */
interface AcceptanceMemberships {
  existing: membersRepo.MemberRow | undefined;
  inviter: { member: membersRepo.MemberRow; workspace: WorkspaceRow } | undefined;
}

/**
 * The heart of acceptance, shared by every path (link, inbox, newcomer sign-up). Re-checks that
 * the inviter may still grant the role, then flips the invitation with one guarded statement so
 * that of any number of concurrent calls exactly one creates the membership. The flip, the
 * membership, the verified address and the activity go to the database as one statement.
 */
async function acceptRow(tx: Executor, ctx: Ctx, row: repo.InvitationRow, user: authRepo.UserRow, expectedTokenHash: string | null, known?: AcceptanceMemberships): Promise<AcceptOutcome> {
  const now = ctx.clock.now();
  const workspaceId = row.workspaceId;
  const { existing, inviter } = known ?? (await membersRepo.findAcceptanceMemberships(tx, workspaceId, user.id, row.inviterUserId));
  const batch = new WriteBatch();
  batch.add('accepted', repo.markAcceptedStatement(tx, row.id, expectedTokenHash, user.id, now), { readBack: true });
  batch.expect('accepted', () => preciseFailure(tx, row.id, now));
  const userCtx = { ...ctx, userId: user.id };
  if (existing?.status === 'active') {
    await recordActivity(tx, userCtx, [{ type: 'invitation.accepted', workspaceId, subjectType: 'invitation', subjectId: row.id, data: { email: row.email, alreadyMember: true } }], batch);
    return { kind: 'already_member', workspaceId };
  }
  if (!inviter || !(await inviterStillMayGrant(tx, actorOf(inviter.member), inviter.workspace, row))) {
    throw new DomainError('inviter_not_permitted', 'Ask an administrator of the workspace to send you a new invitation');
  }
  const role = row.role as InvitableRole;
  const fields = { role, type: memberTypeForRole(role), invitedByUserId: row.inviterUserId, localPartnerId: row.localPartnerId, partnerRole: row.partnerRole, updatedAt: now };
  const memberId = existing?.id ?? ctx.random.uuid();
  batch.add(
    'member',
    existing
      ? membersRepo.reactivateMemberStatement(tx, workspaceId, existing.id, fields)
      : membersRepo.insertMemberStatement(tx, { id: memberId, workspaceId, userId: user.id, status: 'active', createdAt: now, ...fields }),
    { readBack: true },
  );
  batch.expect('member', () => new DomainError('already_member'));
  // The link was delivered to this address: accepting with it proves the address.
  if (expectedTokenHash && !user.emailVerifiedAt) batch.add('verified', authRepo.updateUserStatement(tx, user.id, { emailVerifiedAt: now, updatedAt: now }));
  await recordActivity(
    tx,
    userCtx,
    [
      { type: 'invitation.accepted', workspaceId, subjectType: 'invitation', subjectId: row.id, data: { email: row.email, role } },
      { type: 'member.joined', workspaceId, targetUserId: user.id, subjectType: 'member', subjectId: memberId, data: { role, via: 'invitation', invitationId: row.id } },
    ],
    batch,
  );
  if (roleTakesLocations(role) && row.locationIds.length) {
    const live = new Set((await listLocations(tx, workspaceId)).map((l) => l.id));
    await membersRepo.setMemberLocations(tx, workspaceId, memberId, row.locationIds.filter((id) => live.has(id)));
  }
  return { kind: 'joined', memberId, workspaceId };
}

function outcomeOrThrow(outcome: AcceptOutcome) {
  if (outcome.kind === 'already_member') {
    throw new DomainError('already_member', 'You are already a member of this workspace; the invitation is now closed');
  }
  return { workspaceId: outcome.workspaceId, memberId: outcome.memberId };
}

/** Signed-in acceptance by link: the normalised emails must be equal. */
export async function acceptInvitation(ctx: Ctx, token: string) {
  const outcome = await ctx.db.transaction(async (tx) => {
    const found = await resolveLink(tx, token, ctx.clock.now(), (tokenHash) => repo.findForAcceptance(tx, tokenHash, ctx.userId!));
    const { invitation, user } = found;
    if (!user) throw new DomainError('unauthenticated');
    if (user.email !== invitation.email) throw new DomainError('email_mismatch', 'Sign in with the address the invitation was sent to');
    const inviter = found.inviter ? { member: found.inviter, workspace: found.workspace } : undefined;
    return acceptRow(tx, ctx, invitation, user, invitation.tokenHash, { existing: found.existing ?? undefined, inviter });
  });
  return outcomeOrThrow(outcome);
}

/**
 * A newcomer registers with the token: account, verified email, membership and session in one
 * transaction. The email comes from the invitation; a different one is refused.
 */
export async function acceptAsNewcomer(ctx: Ctx, input: { token: string; email?: string | undefined; password: string; name: string }) {
  const preview = await resolveToken(ctx.db, input.token, ctx.clock.now());
  if (input.email !== undefined && input.email !== preview.email) throw new DomainError('email_mismatch', 'Register with the address the invitation was sent to');
  await checkPasswordPolicy(input.password, { email: preview.email });
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const row = await resolveToken(tx, input.token, now);
    const user = await authRepo.insertUser(tx, { id: ctx.random.uuid(), email: row.email, name: input.name, passwordHash, emailVerifiedAt: now, createdAt: now, updatedAt: now });
    if (!user) throw new DomainError('account_exists_login_required');
    const userCtx = { ...ctx, userId: user.id };
    await recordActivity(tx, userCtx, [{ type: 'auth.signed_up', subjectType: 'user', subjectId: user.id, data: { via: 'invitation' } }]);
    const outcome = outcomeOrThrow(await acceptRow(tx, userCtx, row, user, row.tokenHash));
    const session = await issueSession(tx, userCtx, user.id);
    return { user, session, ...outcome };
  });
}

/**
 * After a guest created by invitation finishes setup, the invitations that created the account
 * are accepted (the temporary password proved the address). Each in its own savepoint, so one
 * that can no longer be accepted (revoked meanwhile, inviter removed) does not undo the others.
 */
export async function acceptProvisionedInvitations(tx: Executor, ctx: Ctx, user: authRepo.UserRow): Promise<string[]> {
  const joined: string[] = [];
  for (const row of await repo.pendingProvisionedFor(tx, user.id, ctx.clock.now())) {
    try {
      const outcome = await tx.transaction((sp) => acceptRow(sp, { ...ctx, userId: user.id }, row, user, null));
      joined.push(outcome.workspaceId);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      ctx.log.info({ invitationId: row.id, code: err.code }, 'guest invitation not accepted at setup');
    }
  }
  return joined;
}

/** The invitee inbox: only for a verified address, or anyone could claim a stranger's invitations. */
async function verifiedUser(ctx: Ctx): Promise<authRepo.UserRow> {
  const user = await authRepo.findUserById(ctx.db, ctx.userId!);
  if (!user) throw new DomainError('unauthenticated');
  if (!user.emailVerifiedAt) throw new DomainError('email_not_verified', 'Verify your email address to see invitations sent to it');
  return user;
}

export async function listMyInvitations(ctx: Ctx) {
  const user = await verifiedUser(ctx);
  const rows = await repo.listPendingForEmail(ctx.db, user.email, ctx.clock.now());
  return rows.map((r) => ({
    id: r.invitation.id,
    workspaceId: r.invitation.workspaceId,
    workspaceName: r.workspaceName,
    inviterName: r.inviterName,
    role: r.invitation.role as InvitableRole,
    type: r.invitation.type as 'member' | 'guest',
    expiresAt: r.invitation.expiresAt,
    createdAt: r.invitation.createdAt,
  }));
}

async function myInvitation(tx: Executor, user: authRepo.UserRow, id: string, now: Date) {
  const row = await repo.findPendingForEmailById(tx, id, user.email);
  if (!row) throw new DomainError('not_found', 'Invitation not found');
  const gone = goneCode(effectiveStatus(row, now));
  if (gone) throw new DomainError(gone);
  return row;
}

export async function acceptMyInvitation(ctx: Ctx, id: string) {
  const user = await verifiedUser(ctx);
  const outcome = await ctx.db.transaction(async (tx) => acceptRow(tx, ctx, await myInvitation(tx, user, id, ctx.clock.now()), user, null));
  return outcomeOrThrow(outcome);
}

export async function declineMyInvitation(ctx: Ctx, id: string) {
  const user = await verifiedUser(ctx);
  await ctx.db.transaction(async (tx) => declineRow(tx, ctx, await myInvitation(tx, user, id, ctx.clock.now())));
}
