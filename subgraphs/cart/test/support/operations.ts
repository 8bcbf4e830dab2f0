// GraphQL operations as a storefront would send them to the cart subgraph.
export const CART_FIELDS = `id itemCount subtotal { amount currency }
  items { product { id } quantity unitPrice { amount currency } lineTotal { amount currency } }`;

export const CART = `query Cart { cart { ${CART_FIELDS} } }`;
export const ADD = `mutation Add($productId: ID!, $quantity: Int!) {
  addToCart(productId: $productId, quantity: $quantity) { ${CART_FIELDS} }
}`;
export const UPDATE = `mutation Update($productId: ID!, $quantity: Int!) {
  updateCartItem(productId: $productId, quantity: $quantity) { ${CART_FIELDS} }
}`;
export const REMOVE = `mutation Remove($productId: ID!) {
  removeFromCart(productId: $productId) { ${CART_FIELDS} }
}`;
export const CLEAR = `mutation Clear { clearCart { ${CART_FIELDS} } }`;
