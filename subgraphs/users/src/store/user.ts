import type { Connection } from '@shop/subgraph-kit';
import type { Role } from '@shop/auth';
import { JobName, type JobData } from '@shop/queues';
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
      await tx.outbox.create({ data: { topic: JobName.USER_REGISTERED, payload } });
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

  /** Null when there is no such user. */
  async setRoles(userId: string, roles: Role[]): Promise<UserRecord | null> {
    const { count } = await this.db.user.updateMany({ where: { id: userId }, data: { roles } });
    return count === 1 ? this.db.user.findUnique({ where: { id: userId } }) : null;
  }

  addressesOf(userIds: readonly string[]): Promise<AddressRecord[]> {
    return this.db.address.findMany({
      where: { userId: { in: [...userIds] } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  countAddresses(userId: string): Promise<number> {
    return this.db.address.count({ where: { userId } });
  }

  addAddress(
    userId: string,
    address: Omit<AddressRecord, 'id' | 'userId' | 'createdAt'>,
  ): Promise<AddressRecord> {
    return this.db.address.create({ data: { ...address, userId } });
  }
}

/** A page of UserRecords as resolvers return it (totalCount may be counted lazily). */
export type UserConnectionRecord = Connection<UserRecord>;
