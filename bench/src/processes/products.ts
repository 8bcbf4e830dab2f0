// The products service with its own database in a process of its own: by default loaded
// with the demo catalog and trusting its own test issuer; given a token issuer (the users
// service) and `seed: false`, an empty catalog that shop benchmarks fill through the router.
import { createLogger } from '@shop/logging';
import { openCatalog } from '../../../subgraphs/products/src/server';
import { seedCatalog, type SeedResult } from '../../../subgraphs/products/src/seed';
import { startProductsFixture } from '../../../subgraphs/products/test/support/products-service';
import { announce, childInput, stopOnSigterm } from './child';

interface Input {
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  seed?: boolean;
}

void (async () => {
  const { seed = true, ...trust } = childInput<Input>();
  const products = await startProductsFixture(trust);
  let seeded: SeedResult = { categories: 0, products: 0 };
  if (seed) {
    const catalog = await openCatalog(products.config, createLogger('products-seed', 'silent'));
    seeded = await seedCatalog(catalog);
    await catalog.connection.close();
  }
  stopOnSigterm(products.stop);
  announce({
    url: products.service.url,
    jwksUrl: products.tokens?.jwksUrl ?? trust.jwksUrl,
    seeded,
  });
})();
