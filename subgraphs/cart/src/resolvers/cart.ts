import { totalAboveLimit } from '../domain/cart';
import type { CartService } from '../services/cart-service';
import type { Resolvers } from '../generated/graphql';

/** Thin: unpack the arguments, hand them to the cart's use cases with the request context. */
export function cartResolvers(carts: CartService): Resolvers {
  return {
    Query: {
      cart: (_parent, _args, ctx) => carts.view(ctx),
      checkoutLines: (_parent, _args, ctx) => carts.storedLines(ctx),
    },
    Mutation: {
      addToCart: (_parent, { productId, quantity }, ctx) => carts.add(ctx, productId, quantity),
      updateCartItem: (_parent, { productId, quantity }, ctx) =>
        carts.update(ctx, productId, quantity),
      removeFromCart: (_parent, { productId }, ctx) => carts.remove(ctx, productId),
      clearCart: (_parent, _args, ctx) => carts.clear(ctx),
    },
    Cart: {
      // A total above the limit (prices rose since the cart was filled) is an error at this
      // field alone: the lines stay readable so the shopper can lower a quantity.
      subtotal: (cart) => {
        if (!cart.subtotal) throw totalAboveLimit(cart.totalAmount, cart.currency, 'cart');
        return cart.subtotal;
      },
    },
    CartItem: {
      // A reference only: the router asks products for whatever Product fields the client wants.
      product: (line) => ({ __typename: 'Product', id: line.productId }),
      lineTotal: (line) => {
        if (!line.lineTotal) {
          throw totalAboveLimit(
            line.unitPrice.amount * line.quantity,
            line.unitPrice.currency,
            'line',
          );
        }
        return line.lineTotal;
      },
    },
  };
}
