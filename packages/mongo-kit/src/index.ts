import mongoose, { type Connection } from 'mongoose';

export interface MongoOptions {
  url: string;
  dbName: string;
  maxPoolSize: number;
}

/**
 * One connection per service instance (not mongoose's global default), so a test process
 * can run several services side by side. Indexes are created explicitly at start-up
 * (see `ensureIndexes` in each store), not in the background, so a unique index that
 * cannot be built stops the service instead of silently missing.
 */
export async function connectMongo(options: MongoOptions): Promise<Connection> {
  return mongoose
    .createConnection(options.url, {
      dbName: options.dbName,
      maxPoolSize: options.maxPoolSize,
      autoIndex: false,
      autoCreate: false,
      serverSelectionTimeoutMS: 10_000,
    })
    .asPromise();
}

/**
 * A unique index refused a write. MongoDB (and FerretDB, for inserts) answer code 11000.
 * FerretDB 1.24 answers an update that breaks a unique index with InternalError (code 1)
 * carrying PostgreSQL's unique-violation SQLSTATE 23505 in the message.
 */
export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code === 11000) return true;
  return e?.code === 1 && typeof e.message === 'string' && e.message.includes('SQLSTATE 23505');
}
