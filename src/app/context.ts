import { randomBytes, randomUUID } from 'node:crypto';

/** Time and randomness are injected so tests can move the clock instead of sleeping. */
export interface Clock {
  now(): Date;
}

export interface Random {
  bytes(n: number): Buffer;
  uuid(): string;
}

export const systemClock: Clock = { now: () => new Date() };
export const systemRandom: Random = { bytes: (n) => randomBytes(n), uuid: () => randomUUID() };

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date()) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(d: Date): void {
    this.current = new Date(d.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
