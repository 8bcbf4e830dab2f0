// The products service with its own database, loaded with the demo catalog, in a process
// of its own.
import { createLogger } from '@shop/logging';
import { openCatalog } from '../../../subgraphs/products/src/server';
import { seedCatalog } from '../../../subgraphs/products/src/seed';
import { startProductsFixture } from '../../../subgraphs/products/test/support/products-service';
import { announce, stopOnSigterm } from './child';

void (async () => {
  const products = await startProductsFixture();
  const catalog = await openCatalog(products.config, createLogger('products-seed', 'silent'));
  const seeded = await seedCatalog(catalog);
  await catalog.connection.close();
  stopOnSigterm(products.stop);
  announce({ url: products.service.url, jwksUrl: products.tokens!.jwksUrl, seeded });
})();
