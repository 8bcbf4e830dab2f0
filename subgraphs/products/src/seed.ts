// Demo catalog for local runs: `npm run seed --workspace subgraphs/products`. Inserts
// categories and products only when the catalog is empty, so running it again is a no-op.
import { ConfigError } from '@shop/config';
import { createLogger } from '@shop/logging';
import { loadProductsConfig } from './config';
import type { CatalogService } from './services/catalog-service';
import { openCatalog } from './server';
import type { CategoryStore } from './store/category';
import type { ProductStore } from './store/product';

interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  amount: number;
  category: string;
  stock: number;
  attributes?: { name: string; value: string }[];
}

const CATEGORIES: { slug: string; name: string; parent?: string }[] = [
  { slug: 'electronics', name: 'Electronics' },
  { slug: 'phones', name: 'Phones', parent: 'electronics' },
  { slug: 'audio', name: 'Audio', parent: 'electronics' },
  { slug: 'books', name: 'Books' },
  { slug: 'home-kitchen', name: 'Home & Kitchen' },
  { slug: 'clothing', name: 'Clothing' },
];

const PRODUCTS: DemoProduct[] = [
  {
    sku: 'PH-100',
    name: 'Pocket Phone 100',
    description: 'A small phone with a big battery.',
    amount: 19900,
    category: 'phones',
    stock: 25,
  },
  {
    sku: 'PH-200',
    name: 'Pocket Phone 200 Pro',
    description: 'Three cameras, one very good screen.',
    amount: 64900,
    category: 'phones',
    stock: 10,
  },
  {
    sku: 'PH-CASE-01',
    name: 'Phone Case, recycled plastic',
    description: 'Fits Pocket Phone 100 and 200.',
    amount: 1499,
    category: 'phones',
    stock: 120,
    attributes: [{ name: 'colour', value: 'green' }],
  },
  {
    sku: 'AU-HP-01',
    name: 'Studio Headphones',
    description: 'Closed-back headphones for long sessions.',
    amount: 12900,
    category: 'audio',
    stock: 18,
  },
  {
    sku: 'AU-EB-02',
    name: 'Wireless Earbuds',
    description: 'Noise cancelling, eight hours per charge.',
    amount: 8900,
    category: 'audio',
    stock: 40,
  },
  {
    sku: 'AU-SP-03',
    name: 'Bluetooth Speaker',
    description: 'Waterproof speaker for the garden.',
    amount: 5900,
    category: 'audio',
    stock: 0,
  },
  {
    sku: 'EL-CH-65W',
    name: 'USB-C Charger 65 W',
    description: 'Charges a laptop and a phone at once.',
    amount: 3499,
    category: 'electronics',
    stock: 60,
  },
  {
    sku: 'EL-CBL-2M',
    name: 'USB-C Cable, 2 m',
    description: 'Braided cable, 100 W.',
    amount: 1299,
    category: 'electronics',
    stock: 200,
  },
  {
    sku: 'BK-TS-01',
    name: 'The TypeScript Handbook',
    description: 'A practical guide to typed JavaScript.',
    amount: 3900,
    category: 'books',
    stock: 30,
  },
  {
    sku: 'BK-GQL-01',
    name: 'GraphQL in Production',
    description: 'Federation, caching and schema design.',
    amount: 4500,
    category: 'books',
    stock: 12,
  },
  {
    sku: 'BK-CK-01',
    name: 'Crème brûlée and other desserts',
    description: 'A French cookbook.',
    amount: 2900,
    category: 'books',
    stock: 8,
  },
  {
    sku: 'BK-NV-01',
    name: 'The Quiet Harbour',
    description: 'A novel about a lighthouse keeper.',
    amount: 1800,
    category: 'books',
    stock: 22,
  },
  {
    sku: 'HK-KT-01',
    name: 'Electric Kettle 1.7 l',
    description: 'Stainless steel, boils in three minutes.',
    amount: 3900,
    category: 'home-kitchen',
    stock: 15,
  },
  {
    sku: 'HK-PAN-28',
    name: 'Cast Iron Pan 28 cm',
    description: 'Pre-seasoned, lasts a lifetime.',
    amount: 4900,
    category: 'home-kitchen',
    stock: 9,
  },
  {
    sku: 'HK-MUG-02',
    name: 'Stoneware Mugs, set of 2',
    description: 'Dishwasher safe.',
    amount: 2400,
    category: 'home-kitchen',
    stock: 50,
  },
  {
    sku: 'HK-KNF-20',
    name: "Chef's Knife 20 cm",
    description: 'Forged steel with a wooden handle.',
    amount: 7900,
    category: 'home-kitchen',
    stock: 6,
  },
  {
    sku: 'CL-TS-M',
    name: 'Organic T-Shirt',
    description: 'Plain cotton t-shirt.',
    amount: 1900,
    category: 'clothing',
    stock: 80,
    attributes: [{ name: 'size', value: 'M' }],
  },
  {
    sku: 'CL-HD-L',
    name: 'Hoodie',
    description: 'Warm hoodie with a front pocket.',
    amount: 4900,
    category: 'clothing',
    stock: 35,
    attributes: [{ name: 'size', value: 'L' }],
  },
  {
    sku: 'CL-SK-01',
    name: 'Wool Socks, 3 pairs',
    description: 'Merino wool, for hiking.',
    amount: 1599,
    category: 'clothing',
    stock: 100,
  },
  {
    sku: 'CL-RJ-01',
    name: 'Rain Jacket',
    description: 'Light, packable and waterproof.',
    amount: 8900,
    category: 'clothing',
    stock: 14,
  },
  {
    sku: 'CL-CAP-01',
    name: 'Baseball Cap',
    description: 'Adjustable, one size.',
    amount: 1500,
    category: 'clothing',
    stock: 3,
  },
];

export interface SeedResult {
  categories: number;
  products: number;
}

/** Creates the demo catalog when there is no product and no category yet. */
export async function seedCatalog(stores: {
  catalog: CatalogService;
  products: ProductStore;
  categories: CategoryStore;
}): Promise<SeedResult> {
  const [productCount, categoryCount] = await Promise.all([
    stores.products.countAll(),
    stores.categories.countAll(),
  ]);
  if (productCount > 0 || categoryCount > 0) return { categories: 0, products: 0 };

  const ids = new Map<string, string>();
  for (const c of CATEGORIES) {
    const parentId = c.parent ? ids.get(c.parent) : undefined;
    const created = await stores.catalog.createCategory({ name: c.name, slug: c.slug, parentId });
    ids.set(c.slug, created.id);
  }
  for (const p of PRODUCTS) {
    await stores.catalog.createProduct({
      sku: p.sku,
      name: p.name,
      description: p.description,
      price: { amount: p.amount, currency: 'EUR' },
      categoryId: ids.get(p.category),
      stock: p.stock,
      attributes: p.attributes,
    });
  }
  return { categories: CATEGORIES.length, products: PRODUCTS.length };
}

async function main(): Promise<void> {
  const config = loadProductsConfig();
  const logger = createLogger('products-seed', config.LOG_LEVEL);
  const opened = await openCatalog(config, logger);
  try {
    const result = await seedCatalog(opened);
    const where = `database "${config.PRODUCTS_DB_NAME}"`;
    process.stdout.write(
      result.products === 0
        ? `products seed: the catalog in ${where} is not empty; nothing inserted.\n`
        : `products seed: inserted ${result.categories} categories and ${result.products} products into ${where}.\n`,
    );
  } finally {
    await opened.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
