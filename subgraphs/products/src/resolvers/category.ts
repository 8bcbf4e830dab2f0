import { requireRole, Role } from '@shop/auth';
import { decodeKeysetCursor, keysetKey, pageSize, toConnection } from '@shop/subgraph-kit';
import { loadReference } from '../context';
import type { CatalogService } from '../services/catalog-service';
import type { Resolvers } from '../generated/graphql';
import { isObjectId, seesHiddenProducts } from '../domain/product';

export function categoryResolvers(catalog: CatalogService): Resolvers {
  return {
    Query: {
      categories: (_parent, _args, ctx) => ctx.loaders.allCategories(),
      category: (_parent, { id }, ctx) => ctx.loaders.category.load(id),
    },

    Mutation: {
      createCategory: async (_parent, { input }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        const category = await catalog.createCategory(input);
        ctx.log.info({ categoryId: category.id, by: admin.userId }, 'category created');
        return category;
      },
      updateCategory: async (_parent, { id, input }, ctx) => {
        const admin = requireRole(ctx.identity, Role.ADMIN);
        const category = await catalog.updateCategory(id, input);
        ctx.log.info({ categoryId: id, by: admin.userId }, 'category updated');
        return category;
      },
    },

    Category: {
      __resolveReference: (ref, ctx) => loadReference(ctx.loaders.category, ref.id),
      parent: (category, _args, ctx) =>
        category.parentId ? ctx.loaders.category.load(category.parentId) : null,
      children: async (category, _args, ctx) =>
        (await ctx.loaders.allCategories()).filter((c) => c.parentId === category.id),
      products: async (category, { first, after }, ctx) => {
        const limit = pageSize(first);
        const page = await ctx.loaders
          .categoryPages({
            activeOnly: !seesHiddenProducts(ctx.identity),
            limit,
            cursor: after ?? null,
            after: decodeKeysetCursor(after, isObjectId),
          })
          .load(category.id);
        return toConnection(page.rows, limit, page.total, keysetKey);
      },
    },
  };
}
