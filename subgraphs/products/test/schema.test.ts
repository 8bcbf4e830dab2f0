// The SDL composes, and checkout's internal operations stay out of the public graph.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';

const typeDefs = parse(readFileSync(path.join(__dirname, '../src/schema.graphql'), 'utf8'));

describe('products SDL', () => {
  const result = composeServices([{ name: 'products', url: 'http://products', typeDefs }]);

  it('composes', () => {
    expect(result.errors).toBeUndefined();
  });

  it('keeps reserveStock, releaseStock and commitStock out of the public API schema', () => {
    const api = printSchema(result.schema!.toAPISchema().toGraphQLJSSchema());
    expect(api).toMatch(/createProduct/);
    for (const hidden of ['reserveStock', 'releaseStock', 'commitStock', 'StockReservation']) {
      expect(api).not.toContain(hidden);
    }
  });
});
