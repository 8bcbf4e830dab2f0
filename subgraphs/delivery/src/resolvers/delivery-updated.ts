import { isUuid } from '@shop/subgraph-kit';
import { requireUser } from '@shop/auth';
import { BadUserInputError, ForbiddenError, NotFoundError } from '@shop/errors';
import type { Context } from '../context';
import { isDeliveryStaff } from '../domain/access';
import type { DeliveryEvents } from '../events/delivery-events';
import type { Resolvers } from '../generated/graphql';
import type { DeliveryUpdateRecord } from '../store/shipment';
import type { OrdersClient } from '../store/orders';

/**
 * The order's customer: from its shipment when there is one, else from orders (the order
 * may have been paid a moment ago, before its shipment exists). Null for an unknown order.
 */
async function ownerOf(
  orderId: string,
  ctx: Context,
  orders: OrdersClient,
): Promise<string | null> {
  const shipment = await ctx.loaders.shipmentOfOrder.load(orderId);
  return shipment ? shipment.userId : orders.ownerOf(orderId);
}

/** The updates that are a subscription's opening snapshot (`DeliveryUpdate.snapshot`). */
const snapshots = new WeakSet<DeliveryUpdateRecord>();

/**
 * The shipment as it is now, with its latest tracking event (for a shipment without one
 * yet, its status since it was created); undefined while the order has no shipment.
 */
async function snapshotOf(
  orderId: string,
  ctx: Context,
): Promise<DeliveryUpdateRecord | undefined> {
  const shipment = await ctx.loaders.shipmentOfOrder.load(orderId);
  if (!shipment) return undefined;
  const events = await ctx.loaders.events.load(shipment.id);
  const latest = events.at(-1);
  const update: DeliveryUpdateRecord = {
    shipment,
    event: latest
      ? { status: latest.status, location: latest.location, note: latest.note, at: latest.at }
      : { status: shipment.status, location: null, note: null, at: shipment.createdAt },
  };
  snapshots.add(update);
  return update;
}

/** `first`, then everything `live` yields; ending it ends `live`. */
function startingWith<T>(
  first: T | undefined,
  live: AsyncIterableIterator<T>,
): AsyncIterableIterator<T> {
  let pending = first;
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => {
      if (pending === undefined) return live.next();
      const value = pending;
      pending = undefined;
      return Promise.resolve({ value, done: false });
    },
    return: async () => {
      pending = undefined;
      return (await live.return?.()) ?? { value: undefined, done: true };
    },
    throw: async (error?: unknown) => {
      pending = undefined;
      return (await live.throw?.(error)) ?? { value: undefined, done: true };
    },
  };
  return iterator;
}

export function deliveryUpdatedResolvers(events: DeliveryEvents, orders: OrdersClient): Resolvers {
  return {
    Subscription: {
      deliveryUpdated: {
        subscribe: async (_parent, { orderId }, ctx) => {
          const user = requireUser(ctx.identity);
          if (!isUuid(orderId)) {
            throw new BadUserInputError('"orderId" must be an order id (a UUID).', 'orderId');
          }
          const owner = await ownerOf(orderId, ctx, orders);
          if (owner === null) throw new NotFoundError('Order', orderId);
          if (owner !== user.userId && !isDeliveryStaff(user)) {
            throw new ForbiddenError(
              "Only the order's customer, an ADMIN or a COURIER can follow its delivery.",
            );
          }
          // Listening first, reading second: a step committed in between is in the snapshot
          // and arrives live as well, never in neither. So a client that subscribes again
          // (the router moving it to another replica, a reconnect) misses nothing.
          const live = await events.listen(orderId);
          let snapshot: DeliveryUpdateRecord | undefined;
          try {
            snapshot = await snapshotOf(orderId, ctx);
          } catch (error) {
            await live.return?.();
            throw error;
          }
          return startingWith(snapshot, live);
        },
        resolve: (update: DeliveryUpdateRecord) => update,
      },
    },
    DeliveryUpdate: {
      snapshot: (update) => snapshots.has(update),
    },
  };
}
