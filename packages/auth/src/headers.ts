/**
 * Where a guest presents its cart id. Holding the unguessable id is what proves a guest owns
 * the cart, so, like Authorization, the router forwards this header to the subgraphs and the
 * cart subgraph reads it.
 */
export const CART_ID_HEADER = 'x-cart-id';
