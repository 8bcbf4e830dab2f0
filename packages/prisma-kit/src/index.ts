import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// PostgreSQL catalog types that the WASM schema engine reads but the pg driver adapter
// cannot deserialize: `name` (oid 19) and `"char"` (oid 18). Upstream: prisma/prisma#27403.
const CATALOG_TYPE_OIDS = new Set([18, 19]);
const TEXT_OID = 25;

type QueryResultLike =
  { fields?: { dataTypeID: number }[] } | { fields?: { dataTypeID: number }[] }[];

function reportCatalogTypesAsText<R>(result: R): R {
  for (const r of (Array.isArray(result) ? result : [result]) as QueryResultLike[]) {
    for (const field of (r as { fields?: { dataTypeID: number }[] })?.fields ?? []) {
      if (CATALOG_TYPE_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/**
 * A pg client that reports catalog-only column types as text, so that Prisma Migrate's
 * WASM schema engine can read PostgreSQL's catalog through the driver adapter.
 * Both the callback and the promise forms of `query` go through it.
 */
class MigrateClient extends pg.Client {
  // pg's overloads cannot be re-declared one by one without losing the callback form.
  override query(...args: unknown[]): never {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const callback = last as (err: Error | null, result: unknown) => void;
      args[args.length - 1] = (err: Error | null, result: unknown) =>
        callback(err, err ? result : reportCatalogTypesAsText(result));
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    if (returned && typeof (returned as Promise<unknown>).then === 'function') {
      return (returned as Promise<unknown>).then(reportCatalogTypesAsText) as never;
    }
    return returned as never;
  }
}

/** Splits a postgres:// URL into discrete connection fields. */
export function connectionFields(databaseUrl: string): pg.ClientConfig {
  const url = new URL(databaseUrl);
  if (!/^postgres(ql)?:$/.test(url.protocol)) {
    throw new Error(`Expected a postgres:// URL, got ${url.protocol}//…`);
  }
  return {
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password) || undefined,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
}

/**
 * The pg adapter runs a migration by splitting its script at every ";", which cuts
 * PL/pgSQL function bodies apart (the products ledger's functions). This one sends the
 * script whole: PostgreSQL runs a multi-statement simple query as one transaction, so a
 * migration also applies entirely or not at all.
 */
class WholeScriptPrismaPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    const internals = adapter as unknown as { client: pg.Pool; onError(error: unknown): never };
    adapter.executeScript = async (script: string) => {
      try {
        await internals.client.query(script);
      } catch (error) {
        internals.onError(error);
      }
    };
    return adapter;
  }
}

/**
 * The driver adapter for Prisma Migrate (prisma.config.ts, `engine: "js"`).
 *
 * Discrete fields, never `connectionString`: the adapter makes the shadow database's
 * config as `{ ...config, database: <shadow name> }`, and node-pg lets a connection string
 * override `database` — the "shadow" database would silently be the real one.
 */
export function migrateAdapter(databaseUrl: string): PrismaPg {
  return new WholeScriptPrismaPg({
    ...connectionFields(databaseUrl),
    Client: MigrateClient,
    // Lets the CLI exit promptly once Migrate is done.
    idleTimeoutMillis: 500,
  } as pg.PoolConfig);
}

export interface RuntimePoolOptions {
  max?: number;
  /**
   * Longest opening one connection may take (ms); node-pg's default waits for ever on a
   * host that accepts nothing. Waiting for a free connection of a busy pool is not bounded
   * by it (callers bound that themselves, e.g. a transaction's maxWait).
   */
  connectTimeoutMs?: number;
  /** PostgreSQL's lock_timeout for every session of the pool (ms): how long a row lock is waited for. */
  lockTimeoutMs?: number;
}

function runtimePoolConfig(databaseUrl: string, options: RuntimePoolOptions): pg.PoolConfig {
  const pool: pg.PoolConfig = { connectionString: databaseUrl, max: options.max ?? 10 };
  if (options.lockTimeoutMs !== undefined) pool.lock_timeout = options.lockTimeoutMs;
  const connectionTimeoutMillis = options.connectTimeoutMs;
  if (connectionTimeoutMillis) {
    pool.Client = class BoundedConnectClient extends pg.Client {
      constructor(config: pg.ClientConfig = {}) {
        super({ ...config, connectionTimeoutMillis });
      }
    };
  }
  return pool;
}

/** The driver adapter for a service's Prisma client at run time (it owns its pool). */
export function runtimeAdapter(databaseUrl: string, options: RuntimePoolOptions = {}): PrismaPg {
  return new PrismaPg(runtimePoolConfig(databaseUrl, options));
}

/**
 * A pool that a Prisma client (through `new PrismaPg(pool)`) and the service's own SQL on a
 * hot path share, so the few reads where Prisma's per-query cost matters (about 0.6 ms of
 * CPU before any work, bench/results/tracking.md) add no connections. Whoever makes it
 * ends it, after the Prisma client has disconnected: Prisma does not end a pool it was given.
 */
export function runtimePool(databaseUrl: string, options: RuntimePoolOptions = {}): pg.Pool {
  const pool = new pg.Pool(runtimePoolConfig(databaseUrl, options));
  // An idle connection that breaks is dropped by the pool; the next query opens another.
  // Without a listener, node-pg's 'error' event would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The Prisma CLI config of one Postgres-owning subgraph (prisma/<name>/prisma.config.ts):
 * Migrate on the WASM schema engine through the pg driver adapter, so no native engine is
 * downloaded (docs/adr/0002). The database URL comes from `<NAME>_DATABASE_URL`, with the
 * local development database as the default.
 */
export function subgraphPrismaConfig(directory: string, name: string) {
  const variable = `${name.toUpperCase()}_DATABASE_URL`;
  const databaseUrl = process.env[variable] ?? `postgres://postgres@127.0.0.1:5432/${name}`;
  // schema.prisma reads env("<NAME>_DATABASE_URL"): make sure it is set for `generate` too.
  process.env[variable] = databaseUrl;
  return {
    experimental: { adapter: true },
    engine: 'js',
    schema: path.join(directory, 'schema.prisma'),
    migrations: { path: path.join(directory, 'migrations') },
    adapter: async () => migrateAdapter(databaseUrl),
  } as const;
}
