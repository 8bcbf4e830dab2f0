import { hasRole, requireRole, requireUser, Role, ROLES, Scope } from '@shop/auth';
import { BadUserInputError, ForbiddenError, NotFoundError } from '@shop/errors';
import type { Context } from '../context';
import { decodeKeysetCursor, isUuid, keysetKey, pageSize, toConnection } from '@shop/subgraph-kit';
import { MAX_ADDRESSES_PER_USER, normaliseAddress } from '../domain/address';
import type { Resolvers } from '../generated/graphql';
import type { UserRecord, UserStore } from '../store/user';

/**
 * Contact details and roles are private: the user themselves, an ADMIN and internal
 * services may read them. Anyone else reaching a User through another entity (an order's
 * customer, say) sees the id and the name only.
 */
function assertMayReadPrivate(user: UserRecord, ctx: Context, field: string): void {
  const viewer = ctx.identity;
  const allowed =
    ctx.authenticatedUserId === user.id ||
    (viewer?.kind === 'service' && viewer.scopes.includes(Scope.USERS_READ)) ||
    (viewer?.kind === 'user' && (viewer.userId === user.id || viewer.roles.includes(Role.ADMIN)));
  if (!allowed) throw new ForbiddenError(`Only the account holder can see the ${field} of a user.`);
}

const privateField =
  <K extends 'email' | 'phone' | 'roles'>(field: K) =>
  (user: UserRecord, _args: unknown, ctx: Context): UserRecord[K] => {
    assertMayReadPrivate(user, ctx, field);
    return user[field];
  };

export function userResolvers(users: UserStore): Resolvers {
  return {
    Query: {
      me: (_parent, _args, ctx) =>
        ctx.identity?.kind === 'user' ? ctx.loaders.user.load(ctx.identity.userId) : null,

      user: (_parent, { id }, ctx) => {
        const me = requireUser(ctx.identity);
        if (me.userId !== id && !hasRole(me, Role.ADMIN)) return null;
        return isUuid(id) ? ctx.loaders.user.load(id) : null;
      },

      users: async (_parent, { first, after }, ctx) => {
        requireRole(ctx.identity, Role.ADMIN);
        const limit = pageSize(first);
        const [rows, total] = await Promise.all([
          users.list(limit, decodeKeysetCursor(after, isUuid)),
          users.count(),
        ]);
        return toConnection(rows, limit, total, keysetKey);
      },
    },

    Mutation: {
      addAddress: async (_parent, { input }, ctx) => {
        const me = requireUser(ctx.identity);
        const address = normaliseAddress(input);
        const result = await users.addAddress(me.userId, address, MAX_ADDRESSES_PER_USER);
        if (result.outcome === 'full') {
          throw new BadUserInputError(
            `An account can hold at most ${MAX_ADDRESSES_PER_USER} addresses.`,
            'input',
          );
        }
        if (result.outcome === 'no-user') throw new NotFoundError('User', me.userId);
        return result.address;
      },

      setUserRoles: async (_parent, { userId, roles }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        const unique = [...new Set(roles)].filter((r) => ROLES.includes(r));
        if (unique.length === 0) {
          throw new BadUserInputError('A user needs at least one role.', 'roles');
        }
        if (admin.userId === userId && !unique.includes(Role.ADMIN)) {
          // Guards against an administrator locking the shop out of its own back office.
          throw new BadUserInputError('You cannot remove your own ADMIN role.', 'roles');
        }
        const changed = isUuid(userId) ? await users.setRoles(userId, unique) : null;
        if (!changed) throw new NotFoundError('User', userId);
        ctx.log.info(
          { userId, roles: unique, by: admin.userId, revokedSessions: changed.revokedSessions },
          'user roles changed',
        );
        return changed.user;
      },
    },

    User: {
      __resolveReference: (ref, ctx) => (isUuid(ref.id) ? ctx.loaders.user.load(ref.id) : null),
      createdAt: (user) => user.createdAt.toISOString(),
      email: privateField('email'),
      phone: privateField('phone'),
      roles: privateField('roles'),
      addresses: (user, _args, ctx) => {
        assertMayReadPrivate(user, ctx, 'addresses');
        return ctx.loaders.addresses.load(user.id);
      },
    },
  };
}
