import { isUuid } from '@shop/subgraph-kit';
import { requireRole, requireUser, Role } from '@shop/auth';
import { NotFoundError } from '@shop/errors';
import type { OrderLifecycleService } from '../services/order-lifecycle';
import type { PaypalCaptureService } from '../services/paypal-capture';
import type { Resolvers } from '../generated/graphql';

export function orderLifecycleResolvers(
  lifecycle: OrderLifecycleService,
  paypal: PaypalCaptureService,
): Resolvers {
  return {
    Mutation: {
      capturePaypalOrder: async (_parent, { orderId }, ctx) => {
        const me = requireUser(ctx.identity);
        if (!isUuid(orderId)) throw new NotFoundError('Order', orderId);
        return paypal.capture(orderId, me.userId, ctx.requestId);
      },
      cancelOrder: async (_parent, { orderId }, ctx) => {
        const me = requireUser(ctx.identity);
        if (!isUuid(orderId)) throw new NotFoundError('Order', orderId);
        return lifecycle.cancel(orderId, me.userId, ctx.requestId);
      },
      refundOrder: async (_parent, { orderId }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        if (!isUuid(orderId)) throw new NotFoundError('Order', orderId);
        return lifecycle.refund(orderId, admin.userId);
      },
    },
  };
}
