import type Redis from 'ioredis';
import type { CartEntry } from '../domain/cart';

/** A cart as stored: its lines in the order they were first added, and a version. */
export interface StoredCart {
  /** Bumped by every write; merging checks it to know it read the latest state. */
  version: string;
  entries: CartEntry[];
}

export type MergeOutcome = 'merged' | 'gone' | 'changed';

// One Redis hash per cart:
//   v          version, +1 on every write (never reset, so a compare cannot be fooled
//              by a cart that was cleared and refilled in between)
//   n          counter that numbers lines in the order they were added
//   q:<id>     quantity of product <id>
//   o:<id>     the line's number, for a stable order (hash fields have none)
// The key exists from the moment a cart id is handed out, so an id that is not a key is
// unknown or expired. Every command refreshes the TTL: carts expire after CART_TTL_DAYS
// without activity. Writes are Lua scripts, atomic in Redis, so concurrent requests for
// one cart never lose an update.

/** Sets one line's quantity if it still is `expected` (compare-and-set); 0 removes it. */
const SET_QUANTITY = `
local key, id = KEYS[1], ARGV[1]
local expected, nextQ, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local current = tonumber(redis.call('HGET', key, 'q:' .. id) or '0')
if current ~= expected then return 0 end
if nextQ == 0 then
  redis.call('HDEL', key, 'q:' .. id, 'o:' .. id)
else
  if current == 0 then redis.call('HSET', key, 'o:' .. id, redis.call('HINCRBY', key, 'n', 1)) end
  redis.call('HSET', key, 'q:' .. id, nextQ)
end
redis.call('HINCRBY', key, 'v', 1)
redis.call('EXPIRE', key, ttl)
return 1`;

/** Removes lines (ARGV[2..]); removing a line that is not there is not an error. */
const REMOVE = `
local key, ttl = KEYS[1], ARGV[1]
for i = 2, #ARGV do redis.call('HDEL', key, 'q:' .. ARGV[i], 'o:' .. ARGV[i]) end
redis.call('HINCRBY', key, 'v', 1)
redis.call('EXPIRE', key, ttl)
return 1`;

/** Empties the cart but keeps the key (and so the cart id) and a growing version. */
const CLEAR = `
local key, ttl = KEYS[1], ARGV[1]
local version = tonumber(redis.call('HGET', key, 'v') or '0')
redis.call('DEL', key)
redis.call('HSET', key, 'v', version + 1, 'n', 0)
redis.call('EXPIRE', key, ttl)
return 1`;

/**
 * Merges a guest cart into a user cart, once. The new quantities were computed from what
 * the caller read at versions ARGV[1] (user) and ARGV[2] (guest); if either cart changed
 * since, nothing is written and the caller reads again. Writing the user cart and deleting
 * the guest cart happen in one step, so of two racing sign-in requests exactly one merges
 * and the other finds the guest cart gone; no crash in between can lose or double a line.
 */
const MERGE = `
local userKey, guestKey = KEYS[1], KEYS[2]
local userVersion, guestVersion, ttl = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', guestKey) == 0 then return 0 end
if (redis.call('HGET', userKey, 'v') or '0') ~= userVersion then return -1 end
if redis.call('HGET', guestKey, 'v') ~= guestVersion then return -1 end
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HEXISTS', userKey, 'o:' .. id) == 0 then
    redis.call('HSET', userKey, 'o:' .. id, redis.call('HINCRBY', userKey, 'n', 1))
  end
  redis.call('HSET', userKey, 'q:' .. id, ARGV[i + 1])
end
redis.call('HINCRBY', userKey, 'v', 1)
redis.call('EXPIRE', userKey, ttl)
redis.call('DEL', guestKey)
return 1`;

interface CartScripts {
  cartSetQuantity(
    key: string,
    productId: string,
    expected: number,
    next: number,
    ttl: number,
  ): Promise<number>;
  cartRemove(key: string, ttl: number, ...productIds: string[]): Promise<number>;
  cartClear(key: string, ttl: number): Promise<number>;
  cartMerge(
    userKey: string,
    guestKey: string,
    userVersion: string,
    guestVersion: string,
    ttl: number,
    ...entries: (string | number)[]
  ): Promise<number>;
}

/** Carts in Redis: product ids and quantities only; prices always come from the catalog. */
export class CartStore {
  private readonly scripts: CartScripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {
    redis.defineCommand('cartSetQuantity', { numberOfKeys: 1, lua: SET_QUANTITY });
    redis.defineCommand('cartRemove', { numberOfKeys: 1, lua: REMOVE });
    redis.defineCommand('cartClear', { numberOfKeys: 1, lua: CLEAR });
    redis.defineCommand('cartMerge', { numberOfKeys: 2, lua: MERGE });
    // defineCommand adds the methods at run time; this is their typed view.
    this.scripts = redis as unknown as CartScripts;
  }

  guestKey(cartId: string): string {
    return `${this.prefix}guest:${cartId}`;
  }

  userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  /** The cart, or null when the key does not exist (never created, or expired). */
  async read(key: string): Promise<StoredCart | null> {
    const results = await this.redis.multi().hgetall(key).expire(key, this.ttlSeconds).exec();
    const [error, hash] = results?.[0] ?? [new Error('Redis transaction was aborted')];
    if (error) throw error;
    return parseCart(hash as Record<string, string>);
  }

  /** Refreshes the TTL; false when there is no such cart (unknown or expired id). */
  async touch(key: string): Promise<boolean> {
    return (await this.redis.expire(key, this.ttlSeconds)) === 1;
  }

  /** One line's quantity, 0 when the product is not in the cart. */
  async quantity(key: string, productId: string): Promise<number> {
    return Number((await this.redis.hget(key, `q:${productId}`)) ?? 0);
  }

  /** Creates an empty cart under a new key (a new guest cart id). */
  async create(key: string): Promise<void> {
    await this.redis.multi().hset(key, 'v', 0, 'n', 0).expire(key, this.ttlSeconds).exec();
  }

  /** Compare-and-set of one line's quantity; false when it was no longer `expected`. */
  async setQuantity(
    key: string,
    productId: string,
    expected: number,
    next: number,
  ): Promise<boolean> {
    return (
      (await this.scripts.cartSetQuantity(key, productId, expected, next, this.ttlSeconds)) === 1
    );
  }

  async remove(key: string, productIds: readonly string[]): Promise<void> {
    await this.scripts.cartRemove(key, this.ttlSeconds, ...productIds);
  }

  async clear(key: string): Promise<void> {
    await this.scripts.cartClear(key, this.ttlSeconds);
  }

  /**
   * Sets the user cart's lines to `set` and deletes the guest cart, atomically, if both
   * carts are still at the versions read. 'gone': the guest cart was merged (or expired)
   * already; 'changed': read again and retry.
   */
  async merge(
    userKey: string,
    guestKey: string,
    versions: { user: string; guest: string },
    set: readonly CartEntry[],
  ): Promise<MergeOutcome> {
    const result = await this.scripts.cartMerge(
      userKey,
      guestKey,
      versions.user,
      versions.guest,
      this.ttlSeconds,
      ...set.flatMap((e) => [e.productId, e.quantity]),
    );
    return result === 1 ? 'merged' : result === 0 ? 'gone' : 'changed';
  }
}

/** An empty user cart that was never written reads as version 0, as the merge script does. */
export const EMPTY_CART: StoredCart = { version: '0', entries: [] };

function parseCart(hash: Record<string, string>): StoredCart | null {
  if (hash.v === undefined) return null;
  const lines: (CartEntry & { order: number })[] = [];
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('q:')) continue;
    const productId = field.slice(2);
    lines.push({
      productId,
      quantity: Number(value),
      order: Number(hash[`o:${productId}`] ?? Number.MAX_SAFE_INTEGER),
    });
  }
  lines.sort((a, b) => a.order - b.order);
  return {
    version: hash.v,
    entries: lines.map(({ productId, quantity }) => ({ productId, quantity })),
  };
}
