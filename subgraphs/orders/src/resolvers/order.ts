import { hasRole, requireUser, Role, Scope, type Identity } from '@shop/auth';
import { BadUserInputError, ForbiddenError, NotFoundError } from '@shop/errors';
import { decodeKeysetCursor, isUuid, keysetKey, pageSize, toConnection } from '@shop/subgraph-kit';
import type { Context } from '../context';
import type { ShippingAddress } from '../domain/checkout';
import type { Resolvers } from '../generated/graphql';
import type { OrderRecord, OrderStore } from '../store/order';

/** An internal service granted orders:read (delivery, notifications). */
function isOrderReader(identity: Identity | null): boolean {
  return identity?.kind === 'service' && identity.scopes.includes(Scope.ORDERS_READ);
}

/** The customer who placed it, an ADMIN, or an internal service granted orders:read. */
function mayRead(order: OrderRecord, identity: Identity | null): boolean {
  if (isOrderReader(identity)) return true;
  return (
    identity?.kind === 'user' &&
    (identity.userId === order.userId || identity.roles.includes(Role.ADMIN))
  );
}

async function listOrders(
  orders: OrderStore,
  userId: string,
  first: number | null | undefined,
  after: string | null | undefined,
) {
  const limit = pageSize(first);
  const cursor = decodeKeysetCursor(after, isUuid);
  // A user id that is no UUID has no orders (and must not reach the uuid column).
  if (!isUuid(userId)) return toConnection<OrderRecord>([], limit, 0, keysetKey);
  const [rows, total] = await Promise.all([
    orders.listForUser(userId, limit, cursor),
    orders.countForUser(userId),
  ]);
  return toConnection(rows, limit, total, keysetKey);
}

/**
 * A representation's key is a non-empty string by the time it gets here (subgraph-kit's
 * entity guard); one that cannot be an id of this type is the caller's mistake, reported
 * at its own index.
 */
function referencedId(typename: 'Order' | 'User', id: string): string {
  if (!isUuid(id)) {
    throw new BadUserInputError(
      `A ${typename} representation needs a UUID id; this one is not a ${typename} id.`,
      'representations',
    );
  }
  return id;
}

export function orderResolvers(orders: OrderStore): Resolvers {
  return {
    Query: {
      order: async (_parent, { id }, ctx) => {
        if (!isOrderReader(ctx.identity)) requireUser(ctx.identity);
        const order = await ctx.loaders.order.load(id);
        // Someone else's order answers exactly like a missing one: ids are not disclosed.
        if (!order || !mayRead(order, ctx.identity)) throw new NotFoundError('Order', id);
        return order;
      },
      myOrders: (_parent, { first, after }, ctx) =>
        listOrders(orders, requireUser(ctx.identity).userId, first, after),
    },

    Order: {
      __resolveReference: async (ref, ctx) => {
        const order = await ctx.loaders.order.load(referencedId('Order', ref.id));
        return order && mayRead(order, ctx.identity) ? order : null;
      },
      total: (order) => ({ amount: order.totalAmount, currency: order.currency }),
      lines: async (order, _args, ctx) =>
        (await ctx.loaders.lines.load(order.id)).map((l) => ({ ...l, currency: order.currency })),
      customer: (order) => ({ __typename: 'User', id: order.userId }),
      shippingAddress: (order) => order.shippingAddress as unknown as ShippingAddress,
      createdAt: (order) => order.createdAt.toISOString(),
      updatedAt: (order) => order.updatedAt.toISOString(),
    },

    OrderLine: {
      product: (line) => ({ __typename: 'Product', id: line.productId }),
      unitPrice: (line) => ({ amount: line.unitAmount, currency: line.currency }),
      lineTotal: (line) => ({ amount: line.unitAmount * line.quantity, currency: line.currency }),
    },

    User: {
      // Async on purpose: federation's _entities maps representations synchronously, so
      // a synchronous throw would fail every index instead of this one.
      __resolveReference: async (ref) => ({ id: referencedId('User', ref.id) }),
      orders: (user, { first, after }, ctx: Context) => {
        const me = requireUser(ctx.identity);
        if (me.userId !== user.id && !hasRole(me, Role.ADMIN)) {
          throw new ForbiddenError('Only the account holder or an ADMIN can see their orders.');
        }
        return listOrders(orders, user.id, first, after);
      },
    },
  };
}
