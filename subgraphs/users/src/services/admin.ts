import type { Logger } from '@shop/logging';
import { normaliseEmail } from '../domain/account';
import { hashPassword } from '../domain/password';
import { isUniqueViolation } from '../store/prisma';
import type { UserStore } from '../store/user';

/**
 * Creates the first administrator (ADMIN_EMAIL / ADMIN_PASSWORD) when no account has that
 * e-mail yet. An existing account is left as it is: its password may have been changed.
 */
export async function ensureAdmin(
  users: UserStore,
  email: string,
  password: string,
  log: Logger,
): Promise<void> {
  const normalised = normaliseEmail(email);
  if (await users.findByEmail(normalised)) return;
  try {
    await users.create({
      email: normalised,
      name: 'Shop Admin',
      phone: null,
      passwordHash: await hashPassword(password),
      roles: ['ADMIN', 'CUSTOMER'],
    });
    log.info({ email: normalised }, 'created the admin account');
  } catch (error) {
    // Another replica created it at the same moment.
    if (!isUniqueViolation(error)) throw error;
  }
}
