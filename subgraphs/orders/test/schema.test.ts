// The orders SDL composes with the subgraphs that exist so far (users, products, cart).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';

const sdl = (subgraph: string) =>
  parse(readFileSync(path.join(__dirname, `../../${subgraph}/src/schema.graphql`), 'utf8'));

describe('orders SDL', () => {
  const result = composeServices(
    ['users', 'products', 'cart', 'orders'].map((name) => ({
      name,
      url: `http://${name}`,
      typeDefs: sdl(name),
    })),
  );

  it('composes with users, products and cart', () => {
    expect(result.errors).toBeUndefined();
  });

  it('puts the docs/api.md names in the supergraph', () => {
    const api = printSchema(result.schema!.toAPISchema().toGraphQLJSSchema());
    for (const expected of [
      'checkout(input: CheckoutInput!): CheckoutPayload!',
      'cancelOrder(orderId: ID!): Order!',
      'refundOrder(orderId: ID!): Order!',
      'order(id: ID!): Order',
      'myOrders(first: Int = 20, after: String): OrderConnection!',
      // User.orders: nullable, so a refusal leaves the rest of the response intact.
      'orders(first: Int = 20, after: String): OrderConnection\n',
      'customer: User!',
      'product: Product!',
    ]) {
      expect(api).toContain(expected);
    }
  });
});
