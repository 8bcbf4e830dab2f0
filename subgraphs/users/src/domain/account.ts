import { BadUserInputError } from '@shop/errors';
import { checkDisplayText } from '@shop/subgraph-kit';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * E-mail addresses are compared case-insensitively: stored trimmed and lower-cased, so
 * "Ann@Shop.Example" and "ann@shop.example" are one account.
 */
export function normaliseEmail(raw: string): string {
  // Shown to admins and couriers like a name: no control characters or direction overrides.
  const email = checkDisplayText(raw.trim(), 'email').toLowerCase();
  // Deliberately simple: one @, something on both sides, a dot in the domain, no spaces.
  // Deliverability is proven by the welcome e-mail, not by a regular expression.
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(email)) {
    throw new BadUserInputError('Enter a valid e-mail address, like name@example.com.', 'email');
  }
  return email;
}

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw new BadUserInputError(
      `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
      'password',
    );
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new BadUserInputError(
      `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`,
      'password',
    );
  }
}

/**
 * The name shows on orders, labels and e-mails to other people: a line break would forge
 * lines there and a direction override would show another name than the one stored, so
 * both are refused as typed, before whitespace is tidied (which would hide a CR/LF).
 */
export function normaliseName(raw: string): string {
  const name = checkDisplayText(raw, 'name').trim().replace(/\s+/g, ' ');
  if (name.length < 1 || name.length > 100) {
    throw new BadUserInputError('The name must be 1 to 100 characters long.', 'name');
  }
  return name;
}

/** Phone numbers in E.164 (+4915112345678), so SMS providers accept them as they are. */
export function normalisePhone(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  const phone = raw.replace(/[\s()-]/g, '');
  if (!/^\+[1-9]\d{6,14}$/.test(phone)) {
    throw new BadUserInputError(
      'Enter the phone number in international format, e.g. +4915112345678.',
      'phone',
    );
  }
  return phone;
}
