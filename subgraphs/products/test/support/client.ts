import { graphql } from '@shop/test-harness';
import type { ProductsFixture } from './products-service';
import { CREATE_CATEGORY, CREATE_PRODUCT, newProduct } from './operations';

/** Sends operations to the fixture's subgraph as a storefront, an ADMIN or a service would. */
export function clientFor(fixture: ProductsFixture) {
  const tokens = fixture.tokens;
  if (!tokens) throw new Error('clientFor needs the fixture to issue its own tokens');
  const adminToken = tokens.adminToken();
  const call = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
    graphql<Record<string, any>>(fixture.service.url, query, variables, { token });
  const asAdmin = (query: string, variables: Record<string, unknown> = {}) =>
    call(query, variables, adminToken);

  return {
    tokens,
    call,
    asAdmin,
    /** Creates a product as an ADMIN and returns it (fails the test on any error). */
    async createProduct(overrides: Record<string, unknown> = {}) {
      const res = await asAdmin(CREATE_PRODUCT, { input: newProduct(overrides) });
      if (res.errors) throw new Error(`createProduct failed: ${JSON.stringify(res.errors)}`);
      return res.data!.createProduct as { id: string; sku: string; name: string; stock: number };
    },
    async createCategory(input: { name: string; slug?: string; parentId?: string }) {
      const res = await asAdmin(CREATE_CATEGORY, { input });
      if (res.errors) throw new Error(`createCategory failed: ${JSON.stringify(res.errors)}`);
      return res.data!.createCategory as { id: string; slug: string };
    },
  };
}
