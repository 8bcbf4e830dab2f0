import { requireRole, Role } from '@shop/auth';
import { NotFoundError } from '@shop/errors';
import { mayReadShipment } from '../domain/access';
import type { DeliveryStatus } from '../domain/shipment-status';
import type { TrackingService } from '../domain/tracking-service';
import type { Resolvers } from '../generated/graphql';

export function shipmentResolvers(tracking: TrackingService): Resolvers {
  return {
    Query: {
      shipment: async (_parent, { id }, ctx) => {
        const shipment = await ctx.loaders.shipment.load(id);
        // Someone else's shipment answers exactly like a missing one: ids are not disclosed.
        if (!shipment || !mayReadShipment(shipment, ctx.identity)) {
          throw new NotFoundError('Shipment', id);
        }
        return shipment;
      },
    },

    Mutation: {
      recordTrackingEvent: (_parent, { shipmentId, input }, ctx) => {
        const courier = requireRole(ctx.identity, Role.COURIER, Role.ADMIN);
        return tracking.record(shipmentId, input, courier.userId);
      },
    },

    Order: {
      __resolveReference: (ref) => ({ id: ref.id }),
      shipment: async (order, _args, ctx) => {
        const shipment = await ctx.loaders.shipmentOfOrder.load(order.id);
        return shipment && mayReadShipment(shipment, ctx.identity) ? shipment : null;
      },
    },

    Shipment: {
      __resolveReference: async (ref, ctx) => {
        const shipment = await ctx.loaders.shipment.load(ref.id);
        return shipment && mayReadShipment(shipment, ctx.identity) ? shipment : null;
      },
      order: (shipment) => ({ __typename: 'Order', id: shipment.orderId }),
      status: (shipment) => shipment.status as DeliveryStatus,
      events: (shipment, _args, ctx) => ctx.loaders.events.load(shipment.id),
    },

    TrackingEvent: {
      status: (event) => event.status as DeliveryStatus,
      at: (event) => event.at.toISOString(),
    },
  };
}
