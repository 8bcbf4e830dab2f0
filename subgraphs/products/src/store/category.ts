import { Schema, Types, type Connection, type Model } from 'mongoose';
import { ConflictError } from '@shop/errors';
import { isDuplicateKey } from '@shop/mongo-kit';

export interface CategoryRecord {
  id: string;
  name: string;
  slug: string;
  parentId: string | null;
  createdAt: Date;
}

interface CategoryDoc {
  _id: Types.ObjectId;
  name: string;
  slug: string;
  parentId: Types.ObjectId | null;
  createdAt: Date;
  updatedAt: Date;
}

const categorySchema = new Schema<CategoryDoc>(
  {
    name: { type: String, required: true },
    slug: { type: String, required: true },
    parentId: { type: Schema.Types.ObjectId, default: null },
  },
  { versionKey: false, collection: 'categories', timestamps: true },
);
categorySchema.index({ slug: 1 }, { unique: true });

function toRecord(doc: CategoryDoc): CategoryRecord {
  return {
    id: doc._id.toHexString(),
    name: doc.name,
    slug: doc.slug,
    parentId: doc.parentId ? doc.parentId.toHexString() : null,
    createdAt: doc.createdAt,
  };
}

function duplicateSlug(slug: string): ConflictError {
  return new ConflictError(`Another category already has the slug "${slug}".`, 'slug');
}

const objectId = (id: string | null) => (id ? new Types.ObjectId(id) : null);

/**
 * Categories in the catalog database. A shop has tens of categories, not millions, so
 * tree questions (sub-categories, cycles) are answered in memory from `all()`.
 */
export class CategoryStore {
  private readonly model: Model<CategoryDoc>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.Category as Model<CategoryDoc> | undefined) ??
      connection.model<CategoryDoc>('Category', categorySchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  async create(category: {
    name: string;
    slug: string;
    parentId: string | null;
  }): Promise<CategoryRecord> {
    try {
      const doc = await this.model.create({ ...category, parentId: objectId(category.parentId) });
      return toRecord(doc.toObject());
    } catch (error) {
      if (isDuplicateKey(error)) throw duplicateSlug(category.slug);
      throw error;
    }
  }

  /** Changes a category (under the "categories" lock); null when there is none. */
  async update(
    id: string,
    changes: { name?: string; slug?: string; parentId?: string | null },
  ): Promise<CategoryRecord | null> {
    const set: Record<string, unknown> = { ...changes };
    if (changes.parentId !== undefined) set.parentId = objectId(changes.parentId);
    try {
      const doc = await this.model
        .findOneAndUpdate(
          { _id: new Types.ObjectId(id) },
          { $set: set },
          { returnDocument: 'after' },
        )
        .lean();
      return doc ? toRecord(doc) : null;
    } catch (error) {
      if (isDuplicateKey(error) && changes.slug) throw duplicateSlug(changes.slug);
      throw error;
    }
  }

  async findByIds(ids: readonly string[]): Promise<CategoryRecord[]> {
    const docs = await this.model
      .find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } })
      .lean();
    return docs.map(toRecord);
  }

  /** Every category, sorted by name. */
  async all(): Promise<CategoryRecord[]> {
    const docs = await this.model.find().sort({ name: 1, _id: 1 }).lean();
    return docs.map(toRecord);
  }

  countAll(): Promise<number> {
    return this.model.estimatedDocumentCount();
  }
}
