// The delivery SDL composes with every subgraph that exists so far.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';

const sdl = (subgraph: string) =>
  parse(readFileSync(path.join(__dirname, `../../${subgraph}/src/schema.graphql`), 'utf8'));

describe('delivery SDL', () => {
  const result = composeServices(
    ['users', 'products', 'cart', 'orders', 'delivery'].map((name) => ({
      name,
      url: `http://${name}`,
      typeDefs: sdl(name),
    })),
  );

  it('composes with users, products, cart and orders', () => {
    expect(result.errors).toBeUndefined();
  });

  it('puts the docs/api.md names in the supergraph', () => {
    const api = printSchema(result.schema!.toAPISchema().toGraphQLJSSchema());
    for (const expected of [
      'shipment: Shipment',
      'order: Order!',
      'status: DeliveryStatus!',
      'carrier: String',
      'trackingNumber: String',
      'events: [TrackingEvent!]!',
      'at: String!',
      'recordTrackingEvent(shipmentId: ID!, input: TrackingEventInput!): Shipment!',
      'deliveryUpdated(orderId: ID!): DeliveryUpdate!',
      'shipment: Shipment!',
      'event: TrackingEvent!',
    ]) {
      expect(api).toContain(expected);
    }
    expect(api).toMatch(
      /enum DeliveryStatus \{\s+PENDING\s+LABEL_CREATED\s+PICKED_UP\s+IN_TRANSIT\s+OUT_FOR_DELIVERY\s+DELIVERED\s+FAILED_ATTEMPT\s+RETURNED\s+("""[^"]*"""\s+)?CANCELLED\s+\}/,
    );
  });
});
