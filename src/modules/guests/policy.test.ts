import { describe, expect, it } from 'vitest';
import { DomainError, errorCatalog } from '../../http/errors.js';
import type { Actor, Denial, PartnerRole, TargetMember } from '../members/policy.js';
import type { Role } from '../members/roles.js';
import { canChangePartnerRole, canInviteToPartner, canManagePartners, canRemovePartnerGuest, canViewPartner } from './policy.js';

/**
 * Local partner rules as a literal table, written from issue 5 and security-tests.md §0.4 (not
 * from the implementation): host admins run every partner; a Guest Admin invites and removes
 * Guest Users of their own partner only, never themselves, never another Guest Admin, never host
 * members or another partner's guests; Guest Users, host users and plain guests manage nothing.
 * A target that is not in the partner named by the route is `not_found` for everyone (the route
 * is about that partner; nothing else exists there).
 */
type Outcome = 'ok' | 'forbidden' | 'role_ceiling' | 'not_found';
const ok = 'ok' as const;
const F = 'forbidden' as const;
const C = 'role_ceiling' as const;
const N = 'not_found' as const;

const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';

let seq = 0;
const id = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

function actor(role: Role, partner: { id: string; role: PartnerRole } | null = null): Actor {
  return { userId: id(), memberId: id(), role, partner };
}

type PartnerTarget = TargetMember & { partnerId: string | null; partnerRole: PartnerRole | null };
function target(role: Role, partnerId: string | null, partnerRole: PartnerRole | null, of?: Actor): PartnerTarget {
  return { userId: of?.userId ?? id(), memberId: of?.memberId ?? id(), role, status: 'active', partnerId, partnerRole };
}

const ACTORS = {
  owner: actor('owner'),
  super_admin: actor('super_admin'),
  admin: actor('admin'),
  user: actor('user'),
  login_only: actor('login_only'),
  guest: actor('guest'),
  guestAdminP1: actor('guest', { id: P1, role: 'guest_admin' }),
  guestUserP1: actor('guest', { id: P1, role: 'guest_user' }),
  guestAdminP2: actor('guest', { id: P2, role: 'guest_admin' }),
} as const;
type ActorName = keyof typeof ACTORS;

/** Every partner action, as a function of the actor. */
const ACTIONS: Record<string, (a: Actor) => Denial> = {
  'manage partners (create, remove, list all)': (a) => canManagePartners(a),
  'view P1': (a) => canViewPartner(a, P1),
  'invite Guest User to P1': (a) => canInviteToPartner(a, P1, 'guest_user'),
  'invite Guest Admin to P1': (a) => canInviteToPartner(a, P1, 'guest_admin'),
  'invite Guest User to P2': (a) => canInviteToPartner(a, P2, 'guest_user'),
  'change a partner role': (a) => canChangePartnerRole(a),
  'remove a Guest User of P1 (via P1)': (a) => canRemovePartnerGuest(a, P1, target('guest', P1, 'guest_user')),
  'remove another Guest Admin of P1 (via P1)': (a) => canRemovePartnerGuest(a, P1, target('guest', P1, 'guest_admin')),
  'remove self (via P1)': (a) => canRemovePartnerGuest(a, P1, target(a.role, a.partner?.id ?? null, a.partner?.role ?? null, a)),
  'remove a host member (via P1)': (a) => canRemovePartnerGuest(a, P1, target('user', null, null)),
  'remove a host admin (via P1)': (a) => canRemovePartnerGuest(a, P1, target('admin', null, null)),
  'remove a Guest User of P2 (via P1)': (a) => canRemovePartnerGuest(a, P1, target('guest', P2, 'guest_user')),
  'remove a Guest User of P2 (via P2)': (a) => canRemovePartnerGuest(a, P2, target('guest', P2, 'guest_user')),
};
const COLUMNS = Object.keys(ACTIONS);

/** Rows: actor; columns: ACTIONS in order. */
const EXPECTED: Record<ActorName, Outcome[]> = {
  //            manage view  invGU invGA invP2 role  rmGU1 rmGA1 self  host  hostA rmGU2 rmGU2@P2
  owner:        [ok,   ok,   ok,   ok,   ok,   ok,   ok,   ok,   N,    N,    N,    N,    ok],
  super_admin:  [ok,   ok,   ok,   ok,   ok,   ok,   ok,   ok,   N,    N,    N,    N,    ok],
  admin:        [ok,   ok,   ok,   ok,   ok,   ok,   ok,   ok,   N,    N,    N,    N,    ok],
  user:         [F,    F,    F,    F,    F,    F,    F,    F,    N,    N,    N,    N,    F],
  login_only:   [F,    F,    F,    F,    F,    F,    F,    F,    N,    N,    N,    N,    F],
  guest:        [F,    F,    F,    F,    F,    F,    F,    F,    N,    N,    N,    N,    F],
  guestAdminP1: [F,    ok,   ok,   C,    F,    F,    ok,   F,    F,    N,    N,    N,    F],
  guestUserP1:  [F,    ok,   F,    F,    F,    F,    F,    F,    F,    N,    N,    N,    F],
  guestAdminP2: [F,    F,    F,    F,    ok,   F,    F,    F,    N,    N,    N,    N,    ok],
};

function outcome(d: Denial): Outcome {
  if (d === null) return ok;
  expect(d).toBeInstanceOf(DomainError);
  return d.code as Outcome;
}

describe('local partner policy (unit)', () => {
  it('the table covers every actor and every action', () => {
    for (const [name, row] of Object.entries(EXPECTED)) expect(row, name).toHaveLength(COLUMNS.length);
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(ACTORS).sort());
  });

  for (const [name, a] of Object.entries(ACTORS) as [ActorName, Actor][]) {
    describe(name, () => {
      COLUMNS.forEach((action, i) => {
        const want = EXPECTED[name][i]!;
        it(`${action} → ${want}`, () => {
          expect(outcome(ACTIONS[action]!(a))).toBe(want);
        });
      });
    });
  }

  it('T-GUEST-06: a Guest Admin never outgrows their partner, whatever the combination', () => {
    const ga = ACTORS.guestAdminP1;
    for (const partnerId of [P1, P2]) {
      for (const role of ['guest_admin', 'guest_user'] as const) {
        const d = outcome(canInviteToPartner(ga, partnerId, role));
        expect(d === ok, `${partnerId} ${role}`).toBe(partnerId === P1 && role === 'guest_user');
      }
    }
    expect(outcome(canChangePartnerRole(ga))).toBe(F);
    expect(outcome(canManagePartners(ga))).toBe(F);
  });

  it('a Guest Admin whose partner role is looked at, not the workspace role: a guest without a partner is nobody', () => {
    // Same role `guest`, different partner roles: only the partner role makes the difference.
    const plain = ACTORS.guest;
    const ga = ACTORS.guestAdminP1;
    expect(plain.role).toBe(ga.role);
    expect(outcome(canViewPartner(plain, P1))).toBe(F);
    expect(outcome(canViewPartner(ga, P1))).toBe(ok);
  });

  it('denials carry the catalogue status: forbidden/role_ceiling → 403, not_found → 404', () => {
    const status = (d: Denial) => errorCatalog[d!.code].status;
    expect(status(canManagePartners(ACTORS.user))).toBe(403);
    expect(status(canInviteToPartner(ACTORS.guestAdminP1, P1, 'guest_admin'))).toBe(403);
    expect(status(canRemovePartnerGuest(ACTORS.guestAdminP1, P1, target('guest', P2, 'guest_user')))).toBe(404);
  });
});
