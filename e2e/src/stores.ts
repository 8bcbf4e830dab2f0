// Fingerprints of what the platform's stores hold, to prove that a refused mutation wrote
// nothing: one digest per table, collection or key space, read straight from PostgreSQL,
// MongoDB and Redis, compared before and after a call.
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import mongoose from 'mongoose';
import pg from 'pg';
import { TEST_REDIS_URL } from '@shop/test-harness';
import type { Platform } from './platform';

/** `table → rows:digest` for every part of one store that is read. */
export type Fingerprint = Record<string, string>;

interface Store {
  read: () => Promise<Fingerprint>;
  close: () => Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

function postgresStore(url: string, tables: string[]): Store {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // Every row as text, hashed in an order that does not depend on the physical layout.
  const sql = tables
    .map(
      (table) =>
        `select '${table}' as name, count(*)::int as rows,
           coalesce(md5(string_agg(md5(t::text), ',' order by md5(t::text))), '') as hash
         from "${table}" t`,
    )
    .join(' union all ');
  return {
    read: async () => {
      const { rows } = await pool.query<{ name: string; rows: number; hash: string }>(sql);
      return Object.fromEntries(rows.map((r) => [r.name, `${r.rows}:${r.hash.slice(0, 16)}`]));
    },
    close: () => pool.end(),
  };
}

function mongoStore(url: string, dbName: string, collections: string[]): Store {
  const connection = mongoose.createConnection(url, { dbName, maxPoolSize: 2 });
  return {
    read: async () => {
      await connection.asPromise();
      const entries = await Promise.all(
        collections.map(async (name) => {
          const docs = await connection.db!.collection(name).find({}).sort({ _id: 1 }).toArray();
          return [name, `${docs.length}:${digest(JSON.stringify(docs))}`] as const;
        }),
      );
      return Object.fromEntries(entries);
    },
    close: () => connection.close(),
  };
}

/** Every key under a prefix with its value (hashes field by field, sorted). */
function redisStore(prefix: string): Store {
  const redis = new Redis(TEST_REDIS_URL);
  return {
    read: async () => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      keys.sort();
      const values = await Promise.all(
        keys.map(async (key) => {
          const type = await redis.type(key);
          if (type === 'hash') {
            const hash = await redis.hgetall(key);
            return `${key}=${JSON.stringify(Object.entries(hash).sort())}`;
          }
          if (type === 'string') return `${key}=${await redis.get(key)}`;
          return `${key}:${type}`;
        }),
      );
      return { keys: `${keys.length}:${digest(values.join('\n'))}` };
    },
    close: async () => {
      redis.disconnect();
    },
  };
}

export type StoreName = 'users' | 'products' | 'cart' | 'orders' | 'delivery' | 'notifications';

export interface Stores {
  /** The fingerprint of the named stores, keyed `store.table`. */
  read: (names: readonly StoreName[]) => Promise<Fingerprint>;
  /** Waits until nothing in any store changes for `quietMs` (background jobs done). */
  settle: (quietMs?: number, timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

/**
 * The platform's stores, each limited to what a request writes itself. Left out on
 * purpose, because background work changes them at any time: outbox tables (relays mark
 * and delete rows), products' stock locks (leases), the notifications log (written by the
 * worker after an event), Redis keys of rate limits and queues.
 */
export function platformStores(platform: Platform): Stores {
  const stores: Record<StoreName, Store> = {
    users: postgresStore(platform.users.db.url, ['users', 'addresses', 'refresh_tokens']),
    products: mongoStore(
      platform.products.config.MONGODB_URL,
      platform.products.config.PRODUCTS_DB_NAME,
      ['products', 'categories', 'reservations'],
    ),
    cart: redisStore(platform.cart.prefix),
    orders: postgresStore(platform.orders.db.url, [
      'orders',
      'order_lines',
      'payments',
      'order_status_history',
    ]),
    delivery: postgresStore(platform.delivery.db.url, ['shipments', 'tracking_events']),
    notifications: mongoStore(
      platform.notifications.config.MONGODB_URL,
      platform.notifications.config.NOTIFICATIONS_DB_NAME,
      ['notification_preferences'],
    ),
  };
  const every = Object.keys(stores) as StoreName[];
  const read = async (names: readonly StoreName[]) => {
    const parts = await Promise.all(
      names.map(async (name) =>
        Object.entries(await stores[name].read()).map(([table, d]) => [`${name}.${table}`, d]),
      ),
    );
    return Object.fromEntries(parts.flat()) as Fingerprint;
  };
  return {
    read,
    settle: async (quietMs = 400, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      let last = JSON.stringify(await read(every));
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, quietMs));
        const now = JSON.stringify(await read(every));
        if (now === last) return;
        if (Date.now() > deadline) throw new Error('the stores did not settle');
        last = now;
      }
    },
    close: async () => {
      await Promise.all(Object.values(stores).map((s) => s.close()));
    },
  };
}

/** The parts of two fingerprints that differ, as `part: before → after`. */
export function changedParts(before: Fingerprint, after: Fingerprint): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .filter((name) => before[name] !== after[name])
    .map((name) => `${name}: ${before[name]} → ${after[name]}`);
}
