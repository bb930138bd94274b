import { describe, expect, it } from 'vitest';
import { effectiveStatus, goneCode, INVITATION_EVENTS, INVITATION_STATUSES, nextStatus, SKIP_REASONS, TRANSITIONS, type InvitationEvent, type InvitationStatus } from './state.js';

/** The table the product promises, written out independently of `TRANSITIONS`. */
const EXPECTED: Record<InvitationStatus, Partial<Record<InvitationEvent, InvitationStatus>>> = {
  pending: { accept: 'accepted', decline: 'declined', revoke: 'revoked', resend: 'pending', expire: 'expired' },
  expired: { resend: 'pending', revoke: 'revoked' },
  accepted: {},
  declined: {},
  revoked: {},
};

describe('invitation state machine', () => {
  it('declares exactly the five statuses and five events', () => {
    expect([...INVITATION_STATUSES].sort()).toEqual(['accepted', 'declined', 'expired', 'pending', 'revoked']);
    expect([...INVITATION_EVENTS].sort()).toEqual(['accept', 'decline', 'expire', 'resend', 'revoke']);
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...INVITATION_STATUSES].sort());
    // Other reasons may be added (e.g. for guests); these five are the API contract.
    expect(SKIP_REASONS).toEqual(expect.arrayContaining(['already_member', 'already_pending', 'domain_not_allowed', 'duplicate', 'invalid']));
  });

  describe('every state × every event', () => {
    for (const from of INVITATION_STATUSES) {
      for (const event of INVITATION_EVENTS) {
        const to = EXPECTED[from][event] ?? null;
        it(`${from} --${event}--> ${to ?? 'refused (null)'}`, () => {
          expect(nextStatus(from, event)).toBe(to);
          expect(TRANSITIONS[from][event] ?? null).toBe(to);
        });
      }
    }
  });

  it('T-INV-05: accepted, declined and revoked are terminal (no event leaves them)', () => {
    for (const terminal of ['accepted', 'declined', 'revoked'] as const) {
      for (const event of INVITATION_EVENTS) expect(nextStatus(terminal, event)).toBeNull();
    }
    // Positive control: pending does move.
    expect(nextStatus('pending', 'revoke')).toBe('revoked');
  });

  it('an expired invitation cannot be accepted or declined, only resent or revoked', () => {
    expect(nextStatus('expired', 'accept')).toBeNull();
    expect(nextStatus('expired', 'decline')).toBeNull();
    expect(nextStatus('expired', 'expire')).toBeNull();
    expect(nextStatus('expired', 'resend')).toBe('pending');
    expect(nextStatus('expired', 'revoke')).toBe('revoked');
  });
});

describe('effectiveStatus (expired is derived from time)', () => {
  const expiresAt = new Date('2026-12-01T12:00:00.000Z');
  const at = (ms: number) => new Date(expiresAt.getTime() + ms);

  it('T-INV-04: a pending row is pending before expiry and expired from expiresAt on', () => {
    expect(effectiveStatus({ status: 'pending', expiresAt }, at(-1000))).toBe('pending');
    expect(effectiveStatus({ status: 'pending', expiresAt }, at(-1))).toBe('pending');
    expect(effectiveStatus({ status: 'pending', expiresAt }, at(0))).toBe('expired');
    expect(effectiveStatus({ status: 'pending', expiresAt }, at(1000))).toBe('expired');
  });

  it('stored non-pending statuses are never rewritten by time', () => {
    for (const status of ['accepted', 'declined', 'revoked', 'expired'] as const) {
      expect(effectiveStatus({ status, expiresAt }, at(-1000))).toBe(status);
      expect(effectiveStatus({ status, expiresAt }, at(1000))).toBe(status);
    }
  });
});

describe('goneCode (what a link answers once unusable)', () => {
  it('maps each status to its 410 code, and pending to none', () => {
    const expected: Record<InvitationStatus, string | null> = {
      pending: null,
      accepted: 'invitation_used',
      declined: 'invitation_declined',
      revoked: 'invitation_revoked',
      expired: 'invitation_expired',
    };
    for (const status of INVITATION_STATUSES) expect(goneCode(status)).toBe(expected[status]);
  });

  it('a pending row past its expiry answers invitation_expired', () => {
    const expiresAt = new Date('2026-12-01T12:00:00.000Z');
    expect(goneCode(effectiveStatus({ status: 'pending', expiresAt }, new Date(expiresAt.getTime() + 1000)))).toBe('invitation_expired');
    expect(goneCode(effectiveStatus({ status: 'pending', expiresAt }, new Date(expiresAt.getTime() - 1000)))).toBeNull();
  });
});
