import { requireRole, Role } from '@shop/auth';
import {
  decodeKeysetCursor,
  keysetKey,
  pageSize,
  toConnection,
  type Connection,
} from '@shop/subgraph-kit';
import { loadReference, type Context } from '../context';
import type { CatalogService } from '../services/catalog-service';
import {
  isObjectId,
  isVisible,
  seesHiddenProducts,
  type ProductFilterInput,
} from '../domain/product';
import type { StockService } from '../services/stock-service';
import type { Resolvers } from '../generated/graphql';
import type { ProductRecord } from '../store/product';

/**
 * The product if the caller may see it: ADMINs everything, others live products only.
 * `id` may come from an entity representation, so it is checked, not trusted.
 */
async function visibleProduct(id: unknown, ctx: Context): Promise<ProductRecord | null> {
  const product = await loadReference(ctx.loaders.product, id);
  return product && isVisible(product, ctx.identity) ? product : null;
}

/** One page of the catalog, oldest first (Category.products has its batched loader). */
async function productConnection(
  catalog: CatalogService,
  ctx: Context,
  args: {
    filter?: ProductFilterInput | null;
    first?: number | null;
    after?: string | null;
  },
): Promise<Connection<ProductRecord>> {
  const limit = pageSize(args.first);
  const page = await catalog.listProducts({
    filter: args.filter,
    activeOnly: !seesHiddenProducts(ctx.identity),
    limit,
    after: decodeKeysetCursor(args.after, isObjectId),
    allCategories: ctx.loaders.allCategories,
  });
  return toConnection(page.rows, limit, page.total, keysetKey);
}

export function productResolvers(catalog: CatalogService, stock: StockService): Resolvers {
  return {
    Query: {
      product: (_parent, { id }, ctx) => visibleProduct(id, ctx),
      products: (_parent, { filter, first, after }, ctx) =>
        productConnection(catalog, ctx, { filter, first, after }),
    },

    Mutation: {
      createProduct: async (_parent, { input }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        const product = await catalog.createProduct(input);
        ctx.log.info(
          { productId: product.id, sku: product.sku, by: admin.userId },
          'product created',
        );
        return product;
      },
      updateProduct: async (_parent, { id, input }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        const product = await catalog.updateProduct(id, input);
        ctx.log.info({ productId: id, by: admin.userId }, 'product updated');
        return product;
      },
      deleteProduct: async (_parent, { id }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        await catalog.deleteProduct(id);
        ctx.log.info({ productId: id, by: admin.userId }, 'product deleted');
        return true;
      },
      adjustStock: async (_parent, { productId, delta }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        const product = await stock.adjustStock(productId, delta);
        ctx.log.info(
          { productId, delta, stock: product.stock, by: admin.userId },
          'stock adjusted',
        );
        return product;
      },
    },

    Product: {
      // cart and orders resolve products through here; a product hidden from the caller
      // is null (not an error), which is how cart learns it can no longer be bought.
      __resolveReference: (ref, ctx) => visibleProduct(ref.id, ctx),
      category: (product, _args, ctx) =>
        product.categoryId ? ctx.loaders.category.load(product.categoryId) : null,
      // From the ledger, not the catalog document (whose copy is for list filters only).
      stock: (product, _args, ctx) => ctx.loaders.stock.load(product.id),
      inStock: async (product, _args, ctx) => (await ctx.loaders.stock.load(product.id)) > 0,
      createdAt: (product) => product.createdAt.toISOString(),
      updatedAt: (product) => product.updatedAt.toISOString(),
      deletedAt: (product) => product.deletedAt?.toISOString() ?? null,
    },
  };
}
