import { BadUserInputError, NotFoundError } from '@shop/errors';
import type { CategoryRecord, CategoryStore } from '../store/category';
import type { LockStore } from '../store/lock';
import type { StockLedger } from '../store/stock-ledger';
import type { ProductCursor, ProductRecord, ProductStore } from '../store/product';
import {
  categorySlug,
  createsCycle,
  normaliseCategoryName,
  withDescendants,
} from '../domain/category';
import {
  isObjectId,
  parseProductFilter,
  validateNewProduct,
  validateProductPatch,
  type ProductFilterInput,
} from '../domain/product';
import { productLock } from './stock-service';

/** Category writes that could form a cycle are serialised under this one lock. */
const CATEGORIES_LOCK = 'categories';

export interface ProductPage {
  rows: ProductRecord[];
  /** Counts the matching products when called; listings that do not show a total skip it. */
  total: () => Promise<number>;
}

/** The catalog as administrators change it and shoppers browse it. */
export class CatalogService {
  constructor(
    private readonly products: ProductStore,
    private readonly categories: CategoryStore,
    private readonly locks: LockStore,
    private readonly ledger: StockLedger,
  ) {}

  async createProduct(input: Parameters<typeof validateNewProduct>[0]): Promise<ProductRecord> {
    const product = validateNewProduct(input);
    if (product.categoryId) await this.requireCategory(product.categoryId, 'categoryId');
    const created = await this.products.create(product);
    // After the document: a crash in between leaves a product without a ledger row, which
    // the next start gives one from the document (store/legacy-stock.ts).
    await this.ledger.ensureLevels([
      { productId: created.id, available: created.stock, sellable: created.active },
    ]);
    return created;
  }

  async updateProduct(
    id: string,
    input: Parameters<typeof validateProductPatch>[0],
  ): Promise<ProductRecord> {
    const patch = validateProductPatch(input);
    if (!isObjectId(id)) throw new NotFoundError('Product', id);
    if (patch.categoryId) await this.requireCategory(patch.categoryId, 'categoryId');
    // Under the product's lock: FerretDB writes back the whole document, which would undo
    // a reservation's stock change made in between.
    return this.locks.withLocks([productLock(id)], async (lease) => {
      const [current] = await this.products.findByIds([id]);
      if (!current || current.deletedAt) throw new NotFoundError('Product', id);
      lease.check();
      const updated = await this.products.update(current, patch);
      if (!updated) throw new NotFoundError('Product', id);
      if (updated.active !== current.active) {
        await this.ledger.setSellable([{ productId: id, sellable: updated.active }]);
      }
      return updated;
    });
  }

  /**
   * Soft delete: the product disappears from listings and from everyone but ADMINs, its
   * sku can be given to a new product, and orders that refer to it keep a valid id.
   */
  async deleteProduct(id: string): Promise<void> {
    if (!isObjectId(id)) throw new NotFoundError('Product', id);
    await this.locks.withLocks([productLock(id)], async (lease) => {
      const [current] = await this.products.findByIds([id]);
      if (!current || current.deletedAt) throw new NotFoundError('Product', id);
      lease.check();
      // The ledger first: once the document says deleted, nothing may be reserved.
      await this.ledger.setSellable([{ productId: id, sellable: false }]);
      await this.products.markDeleted(id, new Date());
    });
  }

  async createCategory(input: {
    name: string;
    slug?: string | null;
    parentId?: string | null;
  }): Promise<CategoryRecord> {
    const name = normaliseCategoryName(input.name);
    const slug = categorySlug(input.slug, name);
    const parentId = input.parentId || null;
    // A new category has no children yet, so no parent can close a cycle through it.
    if (parentId) await this.requireCategory(parentId, 'parentId');
    return this.categories.create({ name, slug, parentId });
  }

  async updateCategory(
    id: string,
    input: { name?: string | null; slug?: string | null; parentId?: string | null },
  ): Promise<CategoryRecord> {
    if (!isObjectId(id)) throw new NotFoundError('Category', id);
    const changes: { name?: string; slug?: string; parentId?: string | null } = {};
    if (input.name !== undefined) {
      if (input.name === null) throw new BadUserInputError('The name cannot be removed.', 'name');
      changes.name = normaliseCategoryName(input.name);
    }
    if (input.slug !== undefined && input.slug !== null) {
      changes.slug = categorySlug(input.slug, changes.name ?? '');
    }
    // Moves are serialised: two concurrent moves (A under B, B under A) would each look
    // fine alone and form a cycle together.
    return this.locks.withLocks([CATEGORIES_LOCK], async (lease) => {
      const all = await this.categories.all();
      if (!all.some((c) => c.id === id)) throw new NotFoundError('Category', id);
      if (input.parentId !== undefined) {
        const parentId = input.parentId || null;
        if (parentId && !all.some((c) => c.id === parentId)) {
          throw new BadUserInputError('There is no such parent category.', 'parentId');
        }
        if (createsCycle(all, id, parentId)) {
          throw new BadUserInputError(
            'A category cannot be moved below itself or one of its sub-categories.',
            'parentId',
          );
        }
        changes.parentId = parentId;
      }
      lease.check();
      const updated = await this.categories.update(id, changes);
      if (!updated) throw new NotFoundError('Category', id);
      return updated;
    });
  }

  /** One page of the catalog and the total matching the filter. */
  async listProducts(options: {
    filter: ProductFilterInput | null | undefined;
    activeOnly: boolean;
    limit: number;
    after: ProductCursor | null;
    allCategories: () => Promise<CategoryRecord[]>;
  }): Promise<ProductPage> {
    const base = parseProductFilter(options.filter, options.activeOnly);
    let categoryIds: string[] | null = null;
    const id = options.filter?.categoryId;
    if (id !== null && id !== undefined) {
      const all = await options.allCategories();
      // An unknown category has no products rather than being an error: links go stale.
      categoryIds = all.some((c) => c.id === id) ? withDescendants(all, id) : [];
    }
    const query = { ...base, categoryIds };
    const rows = await this.products.list(query, options.limit, options.after);
    return { rows, total: () => this.products.count(query) };
  }

  /**
   * The same page (size, cursor) of products for many categories at once, each including
   * its sub-categories: what `categories { products }` asks for. A bounded number of
   * queries however many categories there are: one to pick the rows of every page, one
   * to read them, and one aggregation for all totals when a total is asked for.
   */
  async listCategoryPages(
    categoryIds: readonly string[],
    options: {
      activeOnly: boolean;
      limit: number;
      after: ProductCursor | null;
      allCategories: () => Promise<CategoryRecord[]>;
    },
  ): Promise<ProductPage[]> {
    const all = await options.allCategories();
    // An unknown category has no products rather than being an error, as in listProducts.
    const scopes = categoryIds.map((id) =>
      all.some((c) => c.id === id) ? withDescendants(all, id) : [],
    );
    const query = parseProductFilter(null, options.activeOnly);
    const rows = await this.products.listPerScope(query, scopes, options.limit, options.after);
    let counts: Promise<Map<string, number>> | undefined;
    return scopes.map((scope, index) => ({
      rows: rows[index]!,
      total: async () => {
        counts ??= this.products.countPerCategory(query, [...new Set(scopes.flat())]);
        const perCategory = await counts;
        return scope.reduce((total, id) => total + (perCategory.get(id) ?? 0), 0);
      },
    }));
  }

  private async requireCategory(id: string, field: string): Promise<void> {
    const found = isObjectId(id) ? await this.categories.findByIds([id]) : [];
    if (found.length === 0) throw new BadUserInputError('There is no such category.', field);
  }
}
