import DataLoader from 'dataloader';
import type { BaseContext } from '@shop/subgraph-kit';
import type { CatalogService, ProductPage } from './services/catalog-service';
import type { StockService } from './services/stock-service';
import { isObjectId } from './domain/product';
import type { CategoryRecord, CategoryStore } from './store/category';
import type { ProductCursor, ProductRecord, ProductStore } from './store/product';

/** One page of a category's products: the same for every category of a request. */
export interface CategoryPageArgs {
  /** Only active products (what everyone but ADMINs sees). */
  activeOnly: boolean;
  limit: number;
  /** The `after` cursor as sent, and decoded. */
  cursor: string | null;
  after: ProductCursor | null;
}

export interface Loaders {
  /**
   * Batches every product look-up of one request (entity references from cart and orders
   * included) into one query. Returns deleted and inactive products too: resolvers decide
   * who may see them.
   */
  product: DataLoader<string, ProductRecord | null>;
  category: DataLoader<string, CategoryRecord | null>;
  /** Units available now, from the stock ledger: one query for every product of a request. */
  stock: DataLoader<string, number>;
  /** Every category, read once per request (sub-category filters, children). */
  allCategories: () => Promise<CategoryRecord[]>;
  /**
   * Category.products for every category of a request that asks for the same page,
   * batched: `categories { products }` costs the same few queries for 5 or 50 categories.
   */
  categoryPages: (page: CategoryPageArgs) => DataLoader<string, ProductPage>;
}

export interface Context extends BaseContext {
  loaders: Loaders;
}

/** Ids that are not ObjectIds cannot exist; answering early keeps them out of queries. */
function byIds<T extends { id: string }>(find: (ids: readonly string[]) => Promise<T[]>) {
  return async (ids: readonly string[]): Promise<(T | null)[]> => {
    const valid = ids.filter(isObjectId).map((id) => id.toLowerCase());
    const rows = valid.length > 0 ? await find([...new Set(valid)]) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  };
}

/**
 * Loads the row an entity representation refers to. The guard in front of `_entities`
 * already refuses keys that are not strings; this does not rely on it, because DataLoader
 * throws on a null key and one TypeError would fail every reference of the request.
 */
export function loadReference<T>(
  loader: DataLoader<string, T | null>,
  id: unknown,
): Promise<T | null> {
  return isObjectId(id) ? loader.load(id) : Promise.resolve(null);
}

export function createLoaders(
  products: ProductStore,
  categories: CategoryStore,
  catalog: CatalogService,
  stock: StockService,
): Loaders {
  let all: Promise<CategoryRecord[]> | undefined;
  const allCategories = () => (all ??= categories.all());
  const pages = new Map<string, DataLoader<string, ProductPage>>();
  return {
    product: new DataLoader(byIds((ids) => products.findByIds(ids))),
    category: new DataLoader(byIds((ids) => categories.findByIds(ids))),
    stock: new DataLoader(async (ids: readonly string[]) => {
      const levels = await stock.available(ids);
      return ids.map((id) => levels.get(id) ?? 0);
    }),
    allCategories,
    categoryPages: (page) => {
      const key = JSON.stringify([page.activeOnly, page.limit, page.cursor]);
      let loader = pages.get(key);
      if (!loader) {
        loader = new DataLoader((ids: readonly string[]) =>
          catalog.listCategoryPages(ids, { ...page, allCategories }),
        );
        pages.set(key, loader);
      }
      return loader;
    },
  };
}
