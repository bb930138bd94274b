import { timestamp } from 'drizzle-orm/pg-core';

/** Every timestamp is timestamptz, mapped to a JS Date (millisecond precision, set by the app clock). */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
