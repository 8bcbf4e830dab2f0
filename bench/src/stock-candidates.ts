// The measurements behind docs/adr/0006 (where stock and holds live). Each candidate store
// is driven directly, without the shop around it: N concurrent callers reserve 1 unit of one
// hot product for distinct order ids, first on a product with no outstanding holds, then
// after 10,000 unpaid holds were placed on it. It also counts oversold units.
//   npx tsx bench/src/stock-candidates.ts [--callers 20] [--seconds 5] [--holds 10000]
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import mongoose from 'mongoose';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    callers: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '5' },
    holds: { type: 'string', default: '10000' },
  },
});
const CALLERS = Number(values.callers);
const SECONDS = Number(values.seconds);
const HOLDS = Number(values.holds);
const STOCK = 10_000_000;

interface Candidate {
  name: string;
  setup(): Promise<void>;
  /** true when the unit was taken; false when the store said "not enough". */
  reserve(orderId: string): Promise<boolean>;
  /** Units left, for the oversell check. */
  available(): Promise<number>;
  teardown(): Promise<void>;
}

async function drive(c: Candidate, seconds: number): Promise<{ perSecond: number; ok: number }> {
  let ok = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (Date.now() < until) if (await c.reserve(randomUUID())) ok += 1;
    }),
  );
  return { perSecond: ok / seconds, ok };
}

async function placeHolds(c: Candidate, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < n) {
        next += 1;
        await c.reserve(randomUUID());
      }
    }),
  );
}

/** Oversell check: 200 concurrent reservations of 1 unit against a stock of 10. */
async function oversold(make: (stock: number) => Candidate): Promise<number> {
  const c = make(10);
  await c.setup();
  try {
    const results = await Promise.all(Array.from({ length: 200 }, () => c.reserve(randomUUID())));
    return results.filter(Boolean).length - 10;
  } finally {
    await c.teardown();
  }
}

const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const LEDGER_SQL = readFileSync(
  path.join(
    __dirname,
    '../../prisma/products/migrations/20261204230000_stock_ledger/migration.sql',
  ),
  'utf8',
);

/** A scratch database with the ledger's migration applied and one hot product. */
function scratchLedger(prefix: string, stock: number) {
  const db = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_ADMIN });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const ledger = { pool: null as unknown as pg.Pool };
  return {
    ledger,
    async setup() {
      await admin(`CREATE DATABASE "${db}"`);
      ledger.pool = new pg.Pool({
        connectionString: `postgres://postgres@127.0.0.1:5432/${db}`,
        max: 10,
      });
      await ledger.pool.query(LEDGER_SQL);
      await ledger.pool.query(
        `INSERT INTO stock_levels (product_id, available) VALUES ('hot', $1)`,
        [stock],
      );
    },
    async available() {
      const { rows } = await ledger.pool.query<{ available: number }>(
        `SELECT available FROM stock_levels WHERE product_id = 'hot'`,
      );
      return rows[0]!.available;
    },
    async teardown() {
      await ledger.pool.end();
      await admin(`DROP DATABASE "${db}" WITH (FORCE)`);
    },
  };
}

/** PostgreSQL: one conditional UPDATE per line inside reserve_stock, holds as rows. */
function postgresLedger(stock: number): Candidate {
  const { ledger, ...scratch } = scratchLedger('bench_ledger', stock);
  return {
    name: 'PostgreSQL ledger (reserve_stock, one round trip)',
    ...scratch,
    async reserve(orderId) {
      const { rows } = await ledger.pool.query<{ outcome: string }>(
        'SELECT outcome FROM reserve_stock($1, $2, $3, 60000)',
        [orderId, ['hot'], [1]],
      );
      return rows[0]?.outcome === 'reserved';
    },
  };
}

/** PostgreSQL again, as an interactive transaction from the client (5 round trips). */
function postgresTransaction(stock: number): Candidate {
  const { ledger, ...scratch } = scratchLedger('bench_tx', stock);
  return {
    name: 'PostgreSQL, client-side transaction (BEGIN … COMMIT)',
    ...scratch,
    async reserve(orderId) {
      const client = await ledger.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO stock_reservations (order_id, status, claim_deadline) VALUES ($1, 'RESERVED', now())`,
          [orderId],
        );
        const updated = await client.query(
          `UPDATE stock_levels SET available = available - 1 WHERE product_id = 'hot' AND available >= 1`,
        );
        if (updated.rowCount !== 1) {
          await client.query('ROLLBACK');
          return false;
        }
        await client.query(
          `INSERT INTO stock_reservation_lines (order_id, product_id, quantity) VALUES ($1, 'hot', 1)`,
          [orderId],
        );
        await client.query('COMMIT');
        return true;
      } finally {
        client.release();
      }
    },
  };
}

/** Redis: a Lua script checks and decrements the counter and records the hold in a hash. */
function redisLua(stock: number): Candidate {
  const prefix = `bench:stock:${process.pid}:${Date.now()}`;
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  const script = `
    if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 1 end
    local left = tonumber(redis.call('GET', KEYS[1]))
    if left < tonumber(ARGV[2]) then return 0 end
    redis.call('DECRBY', KEYS[1], ARGV[2])
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    return 1`;
  let sha = '';
  return {
    name: 'Redis ledger (Lua script, no persistence here)',
    async setup() {
      await redis.connect();
      await redis.set(`${prefix}:available`, stock);
      sha = (await redis.script('LOAD', script)) as string;
    },
    async reserve(orderId) {
      const r = await redis.evalsha(sha, 2, `${prefix}:available`, `${prefix}:holds`, orderId, 1);
      return r === 1;
    },
    async available() {
      return Number(await redis.get(`${prefix}:available`));
    },
    async teardown() {
      await redis.del(`${prefix}:available`, `${prefix}:holds`);
      redis.disconnect();
    },
  };
}

/** FerretDB: holds as documents of their own, the counter decremented by a conditional $inc. */
function mongoHoldDocuments(stock: number): Candidate {
  const dbName = `bench_holds_${process.pid}_${Date.now()}`;
  let conn: mongoose.Connection;
  return {
    name: 'FerretDB: hold documents + conditional $inc',
    async setup() {
      conn = await mongoose
        .createConnection('mongodb://127.0.0.1:27017', { dbName, maxPoolSize: 10 })
        .asPromise();
      await conn.db!.collection('stock').insertOne({ _id: 'hot' as never, available: stock });
    },
    async reserve(orderId) {
      const res = await conn
        .db!.collection('stock')
        .updateOne({ _id: 'hot' as never, available: { $gte: 1 } }, { $inc: { available: -1 } });
      if (res.modifiedCount !== 1) return false;
      await conn.db!.collection('holds').insertOne({ _id: orderId as never, product: 'hot', q: 1 });
      return true;
    },
    async available() {
      const doc = await conn.db!.collection('stock').findOne({ _id: 'hot' as never });
      return (doc as unknown as { available: number }).available;
    },
    async teardown() {
      await conn.dropDatabase();
      await conn.close();
    },
  };
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const make of [postgresLedger, postgresTransaction, redisLua, mongoHoldDocuments]) {
    const c = make(STOCK);
    await c.setup();
    try {
      const before = process.cpuUsage();
      const fresh = await drive(c, SECONDS);
      await placeHolds(c, HOLDS);
      const loaded = await drive(c, SECONDS);
      const cpu = process.cpuUsage(before);
      const taken = STOCK - (await c.available());
      const counted = fresh.ok + loaded.ok + HOLDS;
      const over = await oversold(make);
      rows.push(
        `| ${c.name} | ${fresh.perSecond.toFixed(0)} | ${loaded.perSecond.toFixed(0)} | ` +
          `${over} | ${taken === counted ? 'exact' : `${taken} taken for ${counted} holds`} |`,
      );
      console.error(
        `${c.name}: done (client CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`,
      );
    } finally {
      await c.teardown();
    }
  }
  console.log(
    `${CALLERS} concurrent callers, ${SECONDS} s each, then ${HOLDS} holds placed\n\n` +
      '| candidate | reservations/s, no holds | after 10,000 holds | oversold of 10 (200 callers) | units = holds |\n' +
      '|---|---:|---:|---:|---|\n' +
      rows.join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
