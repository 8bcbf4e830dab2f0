import { isUuid } from '@shop/subgraph-kit';
import { requireRole, Role } from '@shop/auth';
import { BadUserInputError, NotFoundError } from '@shop/errors';
import { mayReadShipment } from '../domain/access';
import type { DeliveryStatus } from '../domain/shipment-status';
import type { TrackingService } from '../services/tracking-service';
import type { Resolvers } from '../generated/graphql';

/**
 * An entity representation names its key as any string the shared guard lets through (up
 * to 200 characters); orders and shipments only have UUIDs. A key that cannot be one is a
 * broken caller, told so at that representation's index, and never reaches a loader or SQL.
 */
function referenceKey(typename: 'Order' | 'Shipment', id: unknown): string {
  if (!isUuid(id)) {
    throw new BadUserInputError(`A ${typename} representation's id must be a UUID.`, 'id');
  }
  return id;
}

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
      // async: a refusal must reject this reference's promise; a synchronous throw would
      // fail every representation of the request together.
      __resolveReference: async (ref) => ({ id: referenceKey('Order', ref.id) }),
      shipment: async (order, _args, ctx) => {
        const shipment = await ctx.loaders.shipmentOfOrder.load(order.id);
        return shipment && mayReadShipment(shipment, ctx.identity) ? shipment : null;
      },
    },

    Shipment: {
      __resolveReference: async (ref, ctx) => {
        const shipment = await ctx.loaders.shipment.load(referenceKey('Shipment', ref.id));
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
