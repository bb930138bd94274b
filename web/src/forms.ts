/** Client-side checks that mirror the API's rules, so most mistakes are caught before sending. */
const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>".]{2,}$/;

export function isEmail(value: string): boolean {
  const v = value.trim();
  return v.length <= 254 && EMAIL.test(v);
}

export const PASSWORD_MIN = 12;

export function passwordProblem(password: string, email?: string): string | null {
  if ([...password].length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters`;
  if (password.length > 256) return 'Use at most 256 characters';
  if (/^(.)\1*$/.test(password)) return 'Do not repeat a single character';
  const lower = password.toLowerCase();
  if (email && (lower === email.toLowerCase() || lower === email.toLowerCase().split('@')[0])) return 'Do not use your email address';
  return null;
}

export function nameProblem(name: string): string | null {
  const n = name.trim();
  if (!n) return 'Enter a name';
  if (n.length > 120) return 'Use at most 120 characters';
  return null;
}

/** Splits pasted text into entries: commas, semicolons, spaces and newlines separate addresses. */
export function splitEmails(text: string): string[] {
  // "Ada Lovelace <ada@example.com>" (copied from a mail client) → the address alone.
  return text
    .replace(/[^,;\n<>]*<([^<>\s]+@[^<>\s]+)>/g, ' $1 ')
    .split(/[\s,;]+/)
    .map((s) => s.trim().replace(/^<|>$/g, ''))
    .filter(Boolean);
}

export function isDomain(value: string): boolean {
  return /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value.trim().toLowerCase());
}
