import mongoose, { type Connection } from 'mongoose';

export interface MongoOptions {
  url: string;
  dbName: string;
  maxPoolSize: number;
}

/**
 * This service's own connection (not mongoose's global one), so that tests can run it
 * next to other services in one process. Indexes are built explicitly at start-up: the
 * unique (eventKey, channel) index is what keeps every message to one delivery, so the
 * service must not run without it.
 */
export function connectMongo(options: MongoOptions): Promise<Connection> {
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
 * A write refused by a unique index: code 11000 on MongoDB and on FerretDB inserts;
 * FerretDB 1.24 reports it on updates as InternalError (1) with PostgreSQL's SQLSTATE 23505.
 */
export function isDuplicateKey(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === 11000) return true;
  return code === 1 && typeof message === 'string' && message.includes('23505');
}
