import type { Connection } from '@shop/subgraph-kit';
import type { Role } from '@shop/auth';
import { JobName, outboxPayload, type JobData } from '@shop/queues';
import type { Address, User } from '../generated/prisma/client';
import type { PrismaClient } from './prisma';

export type UserRecord = User;
export type AddressRecord = Address;

export interface NewUser {
  email: string;
  name: string;
  phone: string | null;
  passwordHash: string;
  roles?: Role[];
}

/** Users and their addresses in the users database. */
export class UserStore {
  constructor(private readonly db: PrismaClient) {}

  /**
   * An account the shop creates itself (the first administrator): no welcome event.
   * Throws Prisma's P2002 when the e-mail is taken (see isUniqueViolation).
   */
  create(user: NewUser): Promise<UserRecord> {
    return this.db.user.create({ data: { ...user, roles: user.roles ?? ['CUSTOMER'] } });
  }

  /**
   * Creates a customer's account and, in the same transaction, the `user.registered` outbox
   * row that the relay turns into the welcome message: no account without its event, no
   * event without its account. Throws Prisma's P2002 when the e-mail is taken.
   */
  register(user: NewUser): Promise<UserRecord> {
    return this.db.$transaction(async (tx) => {
      const created = await tx.user.create({
        data: { ...user, roles: user.roles ?? ['CUSTOMER'] },
      });
      const payload: JobData<typeof JobName.USER_REGISTERED> = { userId: created.id };
      await tx.outbox.create({
        data: { topic: JobName.USER_REGISTERED, payload: outboxPayload(payload) },
      });
      return created;
    });
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.db.user.findUnique({ where: { email } });
  }

  /** One query for many ids; the result is in no particular order. */
  findByIds(ids: readonly string[]): Promise<UserRecord[]> {
    return this.db.user.findMany({ where: { id: { in: [...ids] } } });
  }

  /** Oldest first, keyset-paginated on (createdAt, id); returns up to `limit + 1` rows. */
  list(limit: number, after: { createdAt: Date; id: string } | null): Promise<UserRecord[]> {
    return this.db.user.findMany({
      where: after
        ? {
            OR: [
              { createdAt: { gt: after.createdAt } },
              { createdAt: after.createdAt, id: { gt: after.id } },
            ],
          }
        : undefined,
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
  }

  count(): Promise<number> {
    return this.db.user.count();
  }

  /**
   * Replaces the user's roles; null when there is no such user. When the roles actually
   * change, every live refresh token of the user is revoked in the same transaction: a
   * session that was granted the old roles cannot be renewed, the user signs in again and
   * gets a token with the new ones (README.md, "Role changes").
   */
  async setRoles(
    userId: string,
    roles: Role[],
    now: Date = new Date(),
  ): Promise<{ user: UserRecord; revokedSessions: number } | null> {
    return this.db.$transaction(async (tx) => {
      // The row lock orders concurrent role changes of one user, so the comparison below
      // sees the roles that the update replaces.
      const locked = await tx.$queryRaw<{ roles: string[] }[]>`
        SELECT roles::text[] AS roles FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
      const before = locked[0];
      if (!before) return null;
      const user = await tx.user.update({ where: { id: userId }, data: { roles } });
      const changed =
        before.roles.length !== roles.length || roles.some((r) => !before.roles.includes(r));
      if (!changed) return { user, revokedSessions: 0 };
      const { count } = await tx.refreshToken.updateMany({
        where: { userId, revokedAt: null },
        data: { revokedAt: now },
      });
      return { user, revokedSessions: count };
    });
  }

  addressesOf(userIds: readonly string[]): Promise<AddressRecord[]> {
    return this.db.address.findMany({
      where: { userId: { in: [...userIds] } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /**
   * Adds an address unless the user already holds `max`. Counting and inserting happen
   * under a lock on the user's row, so concurrent calls for one user take turns and the cap
   * holds; a plain count-then-insert let ten simultaneous calls at `max - 1` all pass.
   */
  addAddress(
    userId: string,
    address: Omit<AddressRecord, 'id' | 'userId' | 'createdAt'>,
    max: number,
  ): Promise<AddAddressResult> {
    return this.db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
      if (locked.length === 0) return { outcome: 'no-user' } as const;
      if ((await tx.address.count({ where: { userId } })) >= max) {
        return { outcome: 'full' } as const;
      }
      const added = await tx.address.create({ data: { ...address, userId } });
      return { outcome: 'added', address: added } as const;
    });
  }
}

export type AddAddressResult =
  | { outcome: 'added'; address: AddressRecord }
  /** The user already holds the maximum number of addresses. */
  | { outcome: 'full' }
  /** The account no longer exists (deleted while its access token is still valid). */
  | { outcome: 'no-user' };

/** A page of UserRecords as resolvers return it (totalCount may be counted lazily). */
export type UserConnectionRecord = Connection<UserRecord>;
