import { requireServiceScope, Scope } from '@shop/auth';
import type { StockService } from '../services/stock-service';
import type { Resolvers } from '../generated/graphql';

/**
 * Checkout's internal operations (@inaccessible: not in the public supergraph). Only a
 * service token with the products:reserve scope may call them; user tokens, ADMINs
 * included, are FORBIDDEN.
 */
export function reservationResolvers(stock: StockService): Resolvers {
  return {
    Mutation: {
      reserveStock: async (_parent, { orderId, lines }, ctx) => {
        const service = requireServiceScope(ctx.identity, Scope.PRODUCTS_RESERVE);
        const reservation = await stock.reserve(orderId, lines);
        // debug: checkout's busiest call; orders logs the order it belongs to at info.
        ctx.log.debug({ orderId, by: service.clientId }, 'stock reserved');
        return reservation;
      },
      releaseStock: async (_parent, { orderId }, ctx) => {
        const service = requireServiceScope(ctx.identity, Scope.PRODUCTS_RESERVE);
        const reservation = await stock.release(orderId);
        ctx.log.info({ orderId, by: service.clientId }, 'stock released');
        return reservation;
      },
      claimStock: async (_parent, { orderId }, ctx) => {
        requireServiceScope(ctx.identity, Scope.PRODUCTS_RESERVE);
        return stock.claim(orderId);
      },
      commitStock: async (_parent, { orderId }, ctx) => {
        const service = requireServiceScope(ctx.identity, Scope.PRODUCTS_RESERVE);
        const reservation = await stock.commit(orderId);
        ctx.log.info({ orderId, by: service.clientId }, 'stock committed');
        return reservation;
      },
      restockStock: async (_parent, { orderId }, ctx) => {
        const service = requireServiceScope(ctx.identity, Scope.PRODUCTS_RESERVE);
        const reservation = await stock.restock(orderId);
        ctx.log.info({ orderId, by: service.clientId }, 'sold stock restocked');
        return reservation;
      },
    },

    StockReservation: {
      createdAt: (r) => r.createdAt.toISOString(),
      updatedAt: (r) => r.updatedAt.toISOString(),
      claimDeadline: (r) => r.claimDeadline?.toISOString() ?? null,
    },
  };
}
