// GraphQL operations as a storefront sends them to the orders subgraph.
export const ORDER_FIELDS = `id status createdAt updatedAt total { amount currency } customer { id }
  shippingAddress { line1 line2 city postalCode country }
  lines { product { id } sku name quantity unitPrice { amount currency } lineTotal { amount currency } }`;

export const CHECKOUT = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    order { ${ORDER_FIELDS} }
    payment { provider clientSecret approvalUrl providerReference }
  }
}`;
export const ORDER = `query Order($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
export const MY_ORDERS = `query MyOrders($first: Int, $after: String) {
  myOrders(first: $first, after: $after) {
    totalCount
    edges { cursor node { id status createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const ORDER_ENTITIES = `query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Order { id status total { amount currency } customer { id } } }
}`;
export const USER_ORDERS = `query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on User { id orders(first: 10) { totalCount edges { node { id } } } } }
}`;
export const CANCEL_ORDER = `mutation Cancel($orderId: ID!) { cancelOrder(orderId: $orderId) { id status updatedAt } }`;
export const REFUND_ORDER = `mutation Refund($orderId: ID!) { refundOrder(orderId: $orderId) { id status updatedAt } }`;
