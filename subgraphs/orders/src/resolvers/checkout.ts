import { requireUser } from '@shop/auth';
import { UnauthenticatedError } from '@shop/errors';
import type { CheckoutService } from '../services/checkout-service';
import type { Resolvers } from '../generated/graphql';

export function checkoutResolvers(checkout: CheckoutService): Resolvers {
  return {
    Mutation: {
      checkout: async (_parent, { input }, ctx) => {
        const me = requireUser(ctx.identity);
        if (!ctx.bearerToken) throw new UnauthenticatedError();
        const { order, payment, lines } = await checkout.checkout({
          userId: me.userId,
          token: ctx.bearerToken,
          paymentMethod: input.paymentMethod,
          shippingAddressId: input.shippingAddressId,
          idempotencyKey: input.idempotencyKey,
          requestId: ctx.requestId,
          log: ctx.log,
        });
        // The answer usually shows the lines just written: no need to read them back.
        if (lines) ctx.loaders.lines.prime(order.id, lines);
        return {
          order,
          payment: {
            provider: payment.provider,
            clientSecret: payment.clientSecret,
            approvalUrl: payment.approvalUrl,
            providerReference: payment.providerReference,
          },
        };
      },
    },
  };
}
