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
          return events.listen(orderId);
        },
        resolve: (update: DeliveryUpdateRecord) => update,
      },
    },
  };
}
