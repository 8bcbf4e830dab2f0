import mongoose, { type Connection } from 'mongoose';

export interface MongoOptions {
  url: string;
  dbName: string;
  maxPoolSize: number;
  /**
   * How long a command waits for a reachable server before it fails (then
   * MongoServerSelectionError, which the shop reports as SERVICE_UNAVAILABLE). Also bounds
   * start-up against a store that is down. Default 2 s: a healthy server on the same
   * network is selected in milliseconds.
   */
  serverSelectionTimeoutMS?: number;
  /** How long opening one connection (TCP and handshake) may take. Default 2 s. */
  connectTimeoutMS?: number;
  /**
   * How long a command may wait for its reply on an open connection before the connection
   * is dropped (a server that hangs rather than refuses). Default 30 s, the router's
   * subgraph timeout: past it nobody waits for the answer any more.
   */
  socketTimeoutMS?: number;
}

export const MONGO_TIMEOUT_DEFAULTS = {
  serverSelectionTimeoutMS: 2_000,
  connectTimeoutMS: 2_000,
  socketTimeoutMS: 30_000,
} as const;

/**
 * One connection per service instance (not mongoose's global default), so a test process
 * can run several services side by side. Indexes are created explicitly at start-up
 * (see `ensureIndexes` in each store), not in the background, so a unique index that
 * cannot be built stops the service instead of silently missing.
 *
 * Commands are not buffered: with buffering, a command sent while the store is down
 * waited up to mongoose's 10 s buffer timeout and then failed with an error nobody could
 * tell from a bug. Without it the driver fails within `serverSelectionTimeoutMS` with an
 * error `isOutage` recognises. The price: models must not be used before this promise
 * resolves (each service builds its stores from the connection it returns).
 */
export async function connectMongo(options: MongoOptions): Promise<Connection> {
  return mongoose
    .createConnection(options.url, {
      dbName: options.dbName,
      maxPoolSize: options.maxPoolSize,
      autoIndex: false,
      autoCreate: false,
      bufferCommands: false,
      ...timeouts(options),
    })
    .asPromise();
}

/**
 * The timeouts to pass: an explicit option, else the connection string's own
 * (`?serverSelectionTimeoutMS=500`, which an operator can set through MONGODB_URL), else
 * the shop's default. The driver lets an option object override the connection string, so
 * a default is passed only where the string says nothing.
 */
function timeouts(
  options: MongoOptions,
): Partial<Record<keyof typeof MONGO_TIMEOUT_DEFAULTS, number>> {
  const query = options.url.includes('?') ? options.url.slice(options.url.indexOf('?') + 1) : '';
  const inUrl = new Set([...new URLSearchParams(query).keys()].map((key) => key.toLowerCase()));
  const chosen: Partial<Record<keyof typeof MONGO_TIMEOUT_DEFAULTS, number>> = {};
  for (const name of Object.keys(
    MONGO_TIMEOUT_DEFAULTS,
  ) as (keyof typeof MONGO_TIMEOUT_DEFAULTS)[]) {
    const value =
      options[name] ?? (inUrl.has(name.toLowerCase()) ? undefined : MONGO_TIMEOUT_DEFAULTS[name]);
    if (value !== undefined) chosen[name] = value;
  }
  return chosen;
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
