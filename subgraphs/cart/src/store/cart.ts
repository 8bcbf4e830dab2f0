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
// unknown or expired. Every command refreshes the TTL: a cart with lines expires after
// CART_TTL_DAYS without activity, a cart without lines (new, cleared, emptied) after the
// short empty TTL, so ids handed out by the thousand never pile up in Redis. Writes are
// Lua scripts, atomic in Redis, so concurrent requests for one cart never lose an update.

/** KEEP(key, ttl, emptyTtl): refreshes the TTL by what the cart holds (nothing if no key). */
const KEEP = `
local function lineCount(key)
  local meta = redis.call('HEXISTS', key, 'v') + redis.call('HEXISTS', key, 'n')
  return (redis.call('HLEN', key) - meta) / 2
end
local function keep(key, ttl, emptyTtl)
  if redis.call('EXISTS', key) == 0 then return 0 end
  if lineCount(key) > 0 then redis.call('EXPIRE', key, ttl) else redis.call('EXPIRE', key, emptyTtl) end
  return 1
end
`;

/** The cart's hash, its TTL refreshed in the same step (empty when there is no such key). */
const READ = `${KEEP}
keep(KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGETALL', KEYS[1])`;

/** Refreshes the TTL; 0 when there is no such cart. */
const TOUCH = `${KEEP}
return keep(KEYS[1], ARGV[1], ARGV[2])`;

/**
 * Sets one line's quantity if it still is `expected` and, when ARGV[7] is not empty, the
 * cart is still at version ARGV[7] (compare-and-set); 0 removes the line. 1 written,
 * 0 the line or the cart changed meanwhile, -1 a new line would exceed ARGV[4] lines.
 */
const SET_QUANTITY = `${KEEP}
local key, id = KEYS[1], ARGV[1]
local expected, nextQ, maxLines = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local current = tonumber(redis.call('HGET', key, 'q:' .. id) or '0')
if current ~= expected then return 0 end
if ARGV[7] ~= '' and (redis.call('HGET', key, 'v') or '0') ~= ARGV[7] then return 0 end
if nextQ == 0 then
  redis.call('HDEL', key, 'q:' .. id, 'o:' .. id)
else
  if current == 0 then
    if lineCount(key) >= maxLines then return -1 end
    redis.call('HSET', key, 'o:' .. id, redis.call('HINCRBY', key, 'n', 1))
  end
  redis.call('HSET', key, 'q:' .. id, nextQ)
end
redis.call('HINCRBY', key, 'v', 1)
keep(key, ARGV[5], ARGV[6])
return 1`;

/** Removes lines (ARGV[3..]); removing a line that is not there is not an error. */
const REMOVE = `${KEEP}
local key = KEYS[1]
for i = 3, #ARGV do redis.call('HDEL', key, 'q:' .. ARGV[i], 'o:' .. ARGV[i]) end
redis.call('HINCRBY', key, 'v', 1)
keep(key, ARGV[1], ARGV[2])
return 1`;

/** Empties the cart but keeps the key (and so the cart id) and a growing version. */
const CLEAR = `${KEEP}
local key = KEYS[1]
local version = tonumber(redis.call('HGET', key, 'v') or '0')
redis.call('DEL', key)
redis.call('HSET', key, 'v', version + 1, 'n', 0)
keep(key, ARGV[1], ARGV[2])
return 1`;

/**
 * Merges a guest cart into a user cart, once. The new quantities were computed from what
 * the caller read at versions ARGV[1] (user) and ARGV[2] (guest); if either cart changed
 * since, nothing is written and the caller reads again. Writing the user cart and deleting
 * the guest cart happen in one step, so of two racing sign-in requests exactly one merges
 * and the other finds the guest cart gone; no crash in between can lose or double a line.
 */
const MERGE = `${KEEP}
local userKey, guestKey = KEYS[1], KEYS[2]
local userVersion, guestVersion = ARGV[1], ARGV[2]
if redis.call('EXISTS', guestKey) == 0 then return 0 end
if (redis.call('HGET', userKey, 'v') or '0') ~= userVersion then return -1 end
if redis.call('HGET', guestKey, 'v') ~= guestVersion then return -1 end
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HEXISTS', userKey, 'o:' .. id) == 0 then
    redis.call('HSET', userKey, 'o:' .. id, redis.call('HINCRBY', userKey, 'n', 1))
  end
  redis.call('HSET', userKey, 'q:' .. id, ARGV[i + 1])
end
redis.call('HINCRBY', userKey, 'v', 1)
keep(userKey, ARGV[3], ARGV[4])
redis.call('DEL', guestKey)
return 1`;

/** setQuantity would have added a line beyond the cart's limit of different products. */
export class CartFullError extends Error {
  constructor(readonly maxLines: number) {
    super(`the cart already holds ${maxLines} lines`);
    this.name = 'CartFullError';
  }
}

interface CartScripts {
  cartRead(key: string, ttl: number, emptyTtl: number): Promise<string[]>;
  cartTouch(key: string, ttl: number, emptyTtl: number): Promise<number>;
  cartSetQuantity(
    key: string,
    productId: string,
    expected: number,
    next: number,
    maxLines: number,
    ttl: number,
    emptyTtl: number,
    version: string,
  ): Promise<number>;
  cartRemove(key: string, ttl: number, emptyTtl: number, ...productIds: string[]): Promise<number>;
  cartClear(key: string, ttl: number, emptyTtl: number): Promise<number>;
  cartMerge(
    userKey: string,
    guestKey: string,
    userVersion: string,
    guestVersion: string,
    ttl: number,
    emptyTtl: number,
    ...entries: (string | number)[]
  ): Promise<number>;
}

/** Default TTL of a cart without lines: an hour. */
export const EMPTY_CART_TTL_SECONDS = 3600;

/** Carts in Redis: product ids and quantities only; prices always come from the catalog. */
export class CartStore {
  private readonly scripts: CartScripts;
  private readonly emptyTtlSeconds: number;

  /**
   * `ttlSeconds`: how long a cart with lines lives without activity; `emptyTtlSeconds`: how
   * long a cart without lines does (never longer than `ttlSeconds`).
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    emptyTtlSeconds = EMPTY_CART_TTL_SECONDS,
  ) {
    this.emptyTtlSeconds = Math.min(emptyTtlSeconds, ttlSeconds);
    redis.defineCommand('cartRead', { numberOfKeys: 1, lua: READ });
    redis.defineCommand('cartTouch', { numberOfKeys: 1, lua: TOUCH });
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
    const flat = await this.scripts.cartRead(key, this.ttlSeconds, this.emptyTtlSeconds);
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
    return parseCart(hash);
  }

  /** Refreshes the TTL; false when there is no such cart (unknown or expired id). */
  async touch(key: string): Promise<boolean> {
    return (await this.scripts.cartTouch(key, this.ttlSeconds, this.emptyTtlSeconds)) === 1;
  }

  /** One line's quantity, 0 when the product is not in the cart. */
  async quantity(key: string, productId: string): Promise<number> {
    return Number((await this.redis.hget(key, `q:${productId}`)) ?? 0);
  }

  /**
   * Creates an empty cart under a new key (a new guest cart id). It has no lines, so it
   * lives only the empty TTL unless something is added.
   */
  async create(key: string): Promise<void> {
    await this.redis.multi().hset(key, 'v', 0, 'n', 0).expire(key, this.emptyTtlSeconds).exec();
  }

  /**
   * Compare-and-set of one line's quantity; false when it was no longer `expected`, or
   * when `version` is given and the cart is no longer at that version (StoredCart.version,
   * '0' for a cart never written). The version makes a rule about the whole cart (its
   * total) hold: the write only lands on the cart the rule was checked against.
   * CartFullError when it would add a line to a cart that already has `maxLines`.
   */
  async setQuantity(
    key: string,
    productId: string,
    expected: number,
    next: number,
    maxLines = Number.MAX_SAFE_INTEGER,
    version?: string,
  ): Promise<boolean> {
    const result = await this.scripts.cartSetQuantity(
      key,
      productId,
      expected,
      next,
      maxLines,
      this.ttlSeconds,
      this.emptyTtlSeconds,
      version ?? '',
    );
    if (result === -1) throw new CartFullError(maxLines);
    return result === 1;
  }

  async remove(key: string, productIds: readonly string[]): Promise<void> {
    await this.scripts.cartRemove(key, this.ttlSeconds, this.emptyTtlSeconds, ...productIds);
  }

  async clear(key: string): Promise<void> {
    await this.scripts.cartClear(key, this.ttlSeconds, this.emptyTtlSeconds);
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
      this.emptyTtlSeconds,
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
