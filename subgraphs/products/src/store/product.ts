import type { Connection as Page } from '@shop/subgraph-kit';
import { Schema, Types, type Connection, type Model, type QueryFilter } from 'mongoose';
import { ConflictError } from '@shop/errors';
import type { NewProduct, ProductAttribute, ProductPatch, ProductQuery } from '../domain/product';
import { normaliseSearchText } from '../domain/search';
import { isDuplicateKey } from '@shop/mongo-kit';

/** A product as the rest of the service sees it. */
export interface ProductRecord extends NewProduct {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

interface ProductDoc {
  _id: Types.ObjectId;
  sku: string;
  /**
   * What the unique index guards: the sku while the product lives, `deleted:<id>` once it
   * is deleted, so a deleted product frees its sku for a new one (FerretDB 1.x has no
   * partial indexes, which would be the other way).
   */
  skuKey: string;
  name: string;
  description: string | null;
  price: number;
  currency: string;
  categoryId: Types.ObjectId | null;
  /**
   * A copy of the ledger's available units for the inStock filter of lists, rewritten when
   * the product sells out or comes back (jobs/stock-mirror.ts), so only its side of zero is
   * current; reads of a product's stock go to the ledger.
   */
  stock: number;
  active: boolean;
  deletedAt: Date | null;
  attributes: ProductAttribute[];
  images: string[];
  /** Normalised name + description + sku; see domain/search.ts. */
  searchText: string;
  createdAt: Date;
  updatedAt: Date;
}

const productSchema = new Schema<ProductDoc>(
  {
    sku: { type: String, required: true },
    skuKey: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: null },
    price: { type: Number, required: true },
    currency: { type: String, required: true },
    categoryId: { type: Schema.Types.ObjectId, default: null },
    stock: { type: Number, required: true, min: 0 },
    active: { type: Boolean, required: true },
    deletedAt: { type: Date, default: null },
    attributes: {
      type: [new Schema({ name: String, value: String }, { _id: false })],
      default: [],
    },
    images: { type: [String], default: [] },
    searchText: { type: String, required: true },
  },
  { versionKey: false, collection: 'products', timestamps: true },
);
productSchema.index({ skuKey: 1 }, { unique: true });
productSchema.index({ createdAt: 1, _id: 1 });
productSchema.index({ categoryId: 1 });

/**
 * Fields never sent outside the store. `holds` and `restocks` are what documents written
 * before the stock ledger may still carry (store/legacy-stock.ts reads them once).
 */
const PUBLIC_PROJECTION = { holds: 0, restocks: 0, searchText: 0 } as const;

function toRecord(doc: Omit<ProductDoc, 'searchText'>): ProductRecord {
  return {
    id: doc._id.toHexString(),
    sku: doc.sku,
    name: doc.name,
    description: doc.description ?? null,
    price: { amount: doc.price, currency: doc.currency },
    categoryId: doc.categoryId ? doc.categoryId.toHexString() : null,
    stock: doc.stock,
    active: doc.active,
    attributes: (doc.attributes ?? []).map((a) => ({ name: a.name, value: a.value })),
    images: doc.images ?? [],
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    deletedAt: doc.deletedAt ?? null,
  };
}

function duplicateSku(sku: string): ConflictError {
  return new ConflictError(`Another product already has the sku ${sku}.`, 'sku');
}

/** Keyset position in the oldest-first product list. */
export interface ProductCursor {
  createdAt: Date;
  id: string;
}

/** Products in the catalog database. Writes to one product run under its catalog lock. */
export class ProductStore {
  private readonly model: Model<ProductDoc>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.Product as Model<ProductDoc> | undefined) ??
      connection.model<ProductDoc>('Product', productSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  async create(product: NewProduct): Promise<ProductRecord> {
    try {
      const doc = await this.model.create({
        ...product,
        skuKey: product.sku,
        price: product.price.amount,
        currency: product.price.currency,
        categoryId: product.categoryId ? new Types.ObjectId(product.categoryId) : null,
        searchText: normaliseSearchText(product.name, product.description, product.sku),
      });
      return toRecord(doc.toObject());
    } catch (error) {
      if (isDuplicateKey(error)) throw duplicateSku(product.sku);
      throw error;
    }
  }

  /** One query for many ids, deleted products included; the result is in no particular order. */
  async findByIds(ids: readonly string[]): Promise<ProductRecord[]> {
    const docs = await this.model.find(byIdFilter(ids), PUBLIC_PROJECTION).lean();
    return docs.map(toRecord);
  }

  /** The catalog's copy of a stock level (jobs/stock-mirror.ts, under the product's lock). */
  async writeStockMirror(id: string, available: number): Promise<void> {
    await this.model.updateOne({ _id: new Types.ObjectId(id) }, { $set: { stock: available } });
  }

  /** Applies an update (under the product's lock); null when there is no such product. */
  async update(current: ProductRecord, patch: ProductPatch): Promise<ProductRecord | null> {
    const next = {
      name: patch.name ?? current.name,
      description: patch.description !== undefined ? patch.description : current.description,
      sku: patch.sku ?? current.sku,
    };
    const set: Record<string, unknown> = {
      ...next,
      searchText: normaliseSearchText(next.name, next.description, next.sku),
    };
    if (patch.sku !== undefined && current.deletedAt === null) set.skuKey = patch.sku;
    if (patch.price) {
      set.price = patch.price.amount;
      set.currency = patch.price.currency;
    }
    if (patch.categoryId !== undefined) {
      set.categoryId = patch.categoryId ? new Types.ObjectId(patch.categoryId) : null;
    }
    if (patch.active !== undefined) set.active = patch.active;
    if (patch.attributes !== undefined) set.attributes = patch.attributes;
    if (patch.images !== undefined) set.images = patch.images;
    try {
      // updateOne, then read: FerretDB 1.x's findAndModify does not support projections.
      await this.model.updateOne({ _id: new Types.ObjectId(current.id) }, { $set: set });
    } catch (error) {
      if (isDuplicateKey(error)) throw duplicateSku(next.sku);
      throw error;
    }
    const [updated] = await this.findByIds([current.id]);
    return updated ?? null;
  }

  /** Soft delete (under the product's lock): hidden everywhere, sku freed, document kept. */
  async markDeleted(id: string, at: Date): Promise<void> {
    await this.model.updateOne(
      { _id: new Types.ObjectId(id) },
      { $set: { deletedAt: at, skuKey: `deleted:${id}` } },
    );
  }

  /** Oldest first, keyset-paginated on (createdAt, _id); returns up to `limit + 1` products. */
  async list(
    query: ProductQuery,
    limit: number,
    after: ProductCursor | null,
  ): Promise<ProductRecord[]> {
    const filter = toFilter(query);
    if (after) Object.assign(filter, afterFilter(after));
    const docs = await this.model
      .find(filter, PUBLIC_PROJECTION)
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit + 1)
      .lean();
    return docs.map(toRecord);
  }

  /**
   * The first `limit + 1` products (oldest first, after `after`) of each scope, a scope
   * being a category and its sub-categories, for many scopes with two queries however
   * many there are (FerretDB 1.x has neither $facet nor a top-N accumulator, so there is
   * no per-group limit on the server). The first query reads only the sort key and
   * category of the matching products, in list order, and stops as soon as every scope
   * has its rows; the second reads the chosen products whole. A scope that has fewer
   * rows than a page makes the first query run to the end of the match, which costs
   * about 50 bytes per product.
   */
  async listPerScope(
    query: Omit<ProductQuery, 'categoryIds'>,
    scopes: readonly (readonly string[])[],
    limit: number,
    after: ProductCursor | null,
  ): Promise<ProductRecord[][]> {
    const scopesOf = new Map<string, number[]>();
    scopes.forEach((scope, index) => {
      for (const id of new Set(scope)) scopesOf.set(id, [...(scopesOf.get(id) ?? []), index]);
    });
    const picked: string[][] = scopes.map(() => []);
    let open = scopes.filter((scope) => scope.length > 0).length;
    if (open === 0) return picked.map(() => []);

    const filter = toFilter({ ...query, categoryIds: [...scopesOf.keys()] });
    if (after) Object.assign(filter, afterFilter(after));
    const cursor = this.model
      .find(filter, { _id: 1, categoryId: 1 })
      .sort({ createdAt: 1, _id: 1 })
      .lean()
      // Batches sized for the pages wanted, so one category's page reads ~100 keys, not 1000.
      .cursor({ batchSize: Math.min(1000, Math.max(100, (limit + 1) * open)) });
    try {
      while (open > 0) {
        const doc = await cursor.next();
        if (!doc) break;
        for (const index of scopesOf.get(doc.categoryId?.toHexString() ?? '') ?? []) {
          const rows = picked[index]!;
          if (rows.length > limit) continue;
          rows.push(doc._id.toHexString());
          if (rows.length > limit) open -= 1;
        }
      }
    } finally {
      await cursor.close();
    }

    const ids = [...new Set(picked.flat())];
    const byId = new Map((ids.length > 0 ? await this.findByIds(ids) : []).map((p) => [p.id, p]));
    // A product deleted or moved between the two reads is left out or still shown here,
    // as it would be by a page read a moment earlier.
    return picked.map((rows) => rows.flatMap((id) => byId.get(id) ?? []));
  }

  /**
   * How many products match `query` in each of `categoryIds`, in one aggregation
   * (totalCount of many categories' pages; a scope's total is the sum of its categories).
   */
  async countPerCategory(
    query: Omit<ProductQuery, 'categoryIds'>,
    categoryIds: readonly string[],
  ): Promise<Map<string, number>> {
    if (categoryIds.length === 0) return new Map();
    const rows = await this.model.aggregate<{ _id: Types.ObjectId | null; n: number }>([
      // $match is not cast by mongoose: toFilter already builds ObjectIds and dates.
      { $match: toFilter({ ...query, categoryIds: [...categoryIds] }) },
      { $group: { _id: '$categoryId', n: { $sum: 1 } } },
    ]);
    return new Map(rows.flatMap((row) => (row._id ? [[row._id.toHexString(), row.n]] : [])));
  }

  count(query: ProductQuery): Promise<number> {
    return this.model.countDocuments(toFilter(query)).exec();
  }

  /** Every product, deleted ones included (the seed's "is the catalog empty?"). */
  countAll(): Promise<number> {
    return this.model.estimatedDocumentCount();
  }
}

/**
 * `_id` equality for one id, `$in` for several. Same result and index on MongoDB, but
 * FerretDB 1.x turns only the equality into an indexed PostgreSQL lookup: `$in` reads the
 * whole collection (measured: 20 products in the catalog, 8 times the rows read per
 * checkout against 1 product). Most look-ups — a cart's line, checkout's lines, an entity
 * reference — are of one product.
 */
function byIdFilter(ids: readonly string[]): QueryFilter<ProductDoc> {
  const objectIds = ids.map((id) => new Types.ObjectId(id));
  return objectIds.length === 1 ? { _id: objectIds[0] } : { _id: { $in: objectIds } };
}

/** Products after a keyset position in the (createdAt, _id) order. */
function afterFilter(after: ProductCursor): QueryFilter<ProductDoc> {
  return {
    $or: [
      { createdAt: { $gt: after.createdAt } },
      { createdAt: after.createdAt, _id: { $gt: new Types.ObjectId(after.id) } },
    ],
  };
}

function toFilter(query: ProductQuery): QueryFilter<ProductDoc> {
  const filter: QueryFilter<ProductDoc> = { deletedAt: null };
  if (query.activeOnly) filter.active = true;
  if (query.categoryIds) {
    filter.categoryId = { $in: query.categoryIds.map((id) => new Types.ObjectId(id)) };
  }
  if (query.minPrice !== null || query.maxPrice !== null) {
    filter.price = {
      ...(query.minPrice !== null ? { $gte: query.minPrice } : {}),
      ...(query.maxPrice !== null ? { $lte: query.maxPrice } : {}),
    };
  }
  if (query.currency !== null) filter.currency = query.currency;
  if (query.inStock !== null) filter.stock = query.inStock ? { $gt: 0 } : { $lte: 0 };
  if (query.searchPatterns.length > 0) {
    // searchText is stored normalised (lower case, no accents), so patterns need no flags.
    filter.$and = query.searchPatterns.map((pattern) => ({ searchText: { $regex: pattern } }));
  }
  return filter;
}

/** A page of ProductRecords as resolvers return it (totalCount may be counted lazily). */
export type ProductConnectionRecord = Page<ProductRecord>;
