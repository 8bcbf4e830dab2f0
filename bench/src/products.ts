// The storefront's product list page through the router versus straight to the products
// subgraph, same data (the demo catalog), one run:
//   npm run bench -- products
import { measure, record, type Figure, type RunOptions } from './harness';
import { startChild } from './processes/child';

const QUERY =
  '{ products(first: 20) { edges { node { name price { amount } category { name } } } } }';

export async function benchProducts(options: RunOptions, command: string): Promise<string> {
  const products = await startChild<{ url: string; jwksUrl: string; seeded: { products: number } }>(
    'products.ts',
    {},
  );
  const router = await startChild<{ url: string }>('router.ts', {
    JWKS_URL: products.info.jwksUrl,
    PRODUCTS_SUBGRAPH_URL: products.info.url,
  }).catch(async (error: unknown) => {
    await products.stop();
    throw error;
  });
  try {
    const body = JSON.stringify({ query: QUERY });
    // A wrong answer measured fast is no benchmark: check one response first.
    const check = (await (
      await fetch(router.info.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    ).json()) as { data?: { products: { edges: unknown[] } }; errors?: unknown };
    if (!check.data || check.data.products.edges.length !== 20) {
      throw new Error(`unexpected response: ${JSON.stringify(check).slice(0, 300)}`);
    }
    const figures: Figure[] = [];
    for (const target of [
      { name: 'router → products', url: router.info.url, body },
      { name: 'products subgraph directly', url: products.info.url, body },
    ]) {
      const figure = await measure(target, options);
      if (figure.errors || figure.non2xx) {
        throw new Error(
          `${target.name}: ${figure.errors} errors, ${figure.non2xx} non-2xx responses`,
        );
      }
      figures.push(figure);
    }
    return record(
      'products.md',
      'Benchmark: products(first: 20) with price and category',
      command,
      options,
      figures,
      `Query: \`${QUERY}\`; ${products.info.seeded.products} demo products, anonymous caller.`,
    );
  } finally {
    await router.stop();
    await products.stop();
  }
}
