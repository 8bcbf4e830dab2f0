// The Redis store and its scripts, against a real Redis (no products subgraph needed).
import Redis from 'ioredis';
import { deleteKeys, TEST_REDIS_URL, testKeyPrefix } from '@shop/test-harness';
import { CartFullError, CartStore } from '../src/store/cart';

const TTL = 3600;
const prefix = testKeyPrefix('cart-store');
let redis: Redis;
let store: CartStore;
let n = 0;
const key = () => `${prefix}k${++n}`;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
  store = new CartStore(redis, prefix, TTL);
});
afterAll(async () => {
  await deleteKeys(prefix);
  await redis.quit();
});

describe('CartStore', () => {
  it('reads a missing cart as null and a created one as empty', async () => {
    const k = key();
    expect(await store.read(k)).toBeNull();
    expect(await store.touch(k)).toBe(false);
    await store.create(k);
    expect(await store.read(k)).toEqual({ version: '0', entries: [] });
    expect(await store.touch(k)).toBe(true);
  });

  it('stores product ids and quantities only, in the order first added', async () => {
    const k = key();
    await store.create(k);
    expect(await store.setQuantity(k, 'b', 0, 2)).toBe(true);
    expect(await store.setQuantity(k, 'a', 0, 1)).toBe(true);
    expect(await store.setQuantity(k, 'b', 2, 5)).toBe(true);
    expect((await store.read(k))?.entries).toEqual([
      { productId: 'b', quantity: 5 },
      { productId: 'a', quantity: 1 },
    ]);
    // Removed and added again: the line goes to the end.
    await store.remove(k, ['b']);
    await store.setQuantity(k, 'b', 0, 1);
    expect((await store.read(k))?.entries.map((e) => e.productId)).toEqual(['a', 'b']);
    expect(Object.keys(await redis.hgetall(k)).sort()).toEqual(
      ['n', 'o:a', 'o:b', 'q:a', 'q:b', 'v'].sort(),
    );
  });

  it('writes a quantity only if it is still the one expected', async () => {
    const k = key();
    await store.setQuantity(k, 'a', 0, 3);
    expect(await store.setQuantity(k, 'a', 2, 9)).toBe(false);
    expect(await store.quantity(k, 'a')).toBe(3);
    expect(await store.setQuantity(k, 'a', 3, 0)).toBe(true);
    expect(await store.quantity(k, 'a')).toBe(0);
    expect((await store.read(k))?.entries).toEqual([]);
  });

  it('sets the TTL on every write and refreshes it on every read', async () => {
    const k = key();
    await store.setQuantity(k, 'a', 0, 1);
    expect(await redis.ttl(k)).toBeGreaterThan(TTL - 5);
    await redis.expire(k, 10);
    await store.read(k);
    expect(await redis.ttl(k)).toBeGreaterThan(TTL - 5);
    await redis.expire(k, 10);
    await store.clear(k);
    expect(await redis.ttl(k)).toBeGreaterThan(TTL - 5);
  });

  it('gives a cart without lines the short empty TTL, and one with lines the full TTL', async () => {
    const long = 86_400;
    const short = 600;
    const ttlStore = new CartStore(redis, prefix, long, short);
    const k = key();
    const ttlIsAbout = async (seconds: number) => {
      const left = await redis.ttl(k);
      expect(left).toBeGreaterThan(seconds - 5);
      expect(left).toBeLessThanOrEqual(seconds);
    };
    await ttlStore.create(k);
    await ttlIsAbout(short);
    expect(await ttlStore.touch(k)).toBe(true);
    await ttlIsAbout(short);
    await ttlStore.read(k);
    await ttlIsAbout(short);

    await ttlStore.setQuantity(k, 'a', 0, 1);
    await ttlIsAbout(long);
    await redis.expire(k, 10);
    await ttlStore.read(k);
    await ttlIsAbout(long);
    await redis.expire(k, 10);
    expect(await ttlStore.touch(k)).toBe(true);
    await ttlIsAbout(long);

    // Emptied again, by any write: back to the short TTL.
    await ttlStore.remove(k, ['a']);
    await ttlIsAbout(short);
    await ttlStore.setQuantity(k, 'b', 0, 1);
    await ttlStore.clear(k);
    await ttlIsAbout(short);
    await ttlStore.setQuantity(k, 'b', 0, 1);
    await ttlStore.setQuantity(k, 'b', 1, 0);
    await ttlIsAbout(short);
  });

  it('never keeps an empty cart longer than the full TTL', async () => {
    const k = key();
    await new CartStore(redis, prefix, 100, 3600).create(k);
    expect(await redis.ttl(k)).toBeLessThanOrEqual(100);
  });

  it('refuses a new line beyond maxLines, atomically, but lets existing lines change', async () => {
    const k = key();
    expect(await store.setQuantity(k, 'a', 0, 1, 2)).toBe(true);
    expect(await store.setQuantity(k, 'b', 0, 1, 2)).toBe(true);
    await expect(store.setQuantity(k, 'c', 0, 1, 2)).rejects.toBeInstanceOf(CartFullError);
    expect(await store.setQuantity(k, 'a', 1, 5, 2)).toBe(true);
    expect((await store.read(k))?.entries).toEqual([
      { productId: 'a', quantity: 5 },
      { productId: 'b', quantity: 1 },
    ]);
    // Many different products racing for the last free line: exactly one gets it.
    await store.setQuantity(k, 'b', 1, 0, 3);
    const outcomes = await Promise.allSettled(
      ['p', 'q', 'r', 's', 't'].map((id) => store.setQuantity(k, id, 0, 1, 2)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((await store.read(k))?.entries).toHaveLength(2);
  });

  it('clears a cart but keeps it, with a version that keeps growing', async () => {
    const k = key();
    await store.setQuantity(k, 'a', 0, 1);
    await store.setQuantity(k, 'b', 0, 1);
    const before = Number((await store.read(k))?.version);
    await store.clear(k);
    const after = await store.read(k);
    expect(after?.entries).toEqual([]);
    expect(Number(after?.version)).toBeGreaterThan(before);
  });

  describe('merge', () => {
    async function carts() {
      const user = key();
      const guest = key();
      await store.setQuantity(user, 'a', 0, 1);
      await store.setQuantity(guest, 'b', 0, 2);
      await store.setQuantity(guest, 'a', 0, 4);
      return { user, guest };
    }

    it('writes the planned lines into the user cart and deletes the guest cart', async () => {
      const { user, guest } = await carts();
      const versions = {
        user: (await store.read(user))!.version,
        guest: (await store.read(guest))!.version,
      };
      const outcome = await store.merge(user, guest, versions, [
        { productId: 'b', quantity: 2 },
        { productId: 'a', quantity: 5 },
      ]);
      expect(outcome).toBe('merged');
      expect((await store.read(user))?.entries).toEqual([
        { productId: 'a', quantity: 5 },
        { productId: 'b', quantity: 2 },
      ]);
      expect(await redis.exists(guest)).toBe(0);
      expect(await redis.ttl(user)).toBeGreaterThan(TTL - 5);
    });

    it('writes nothing when either cart changed since it was read', async () => {
      const { user, guest } = await carts();
      const versions = {
        user: (await store.read(user))!.version,
        guest: (await store.read(guest))!.version,
      };
      await store.setQuantity(guest, 'c', 0, 1);
      expect(await store.merge(user, guest, versions, [{ productId: 'b', quantity: 2 }])).toBe(
        'changed',
      );
      expect(await store.quantity(user, 'b')).toBe(0);
      expect(await redis.exists(guest)).toBe(1);
    });

    it('treats a user cart that was never written as version 0', async () => {
      const user = key();
      const guest = key();
      await store.setQuantity(guest, 'b', 0, 2);
      const guestVersion = (await store.read(guest))!.version;
      expect(
        await store.merge(user, guest, { user: '0', guest: guestVersion }, [
          { productId: 'b', quantity: 2 },
        ]),
      ).toBe('merged');
      expect(await store.quantity(user, 'b')).toBe(2);
    });

    it('happens once when two merges race', async () => {
      const { user, guest } = await carts();
      const versions = {
        user: (await store.read(user))!.version,
        guest: (await store.read(guest))!.version,
      };
      const plan = [
        { productId: 'b', quantity: 2 },
        { productId: 'a', quantity: 5 },
      ];
      const outcomes = await Promise.all([
        store.merge(user, guest, versions, plan),
        store.merge(user, guest, versions, plan),
      ]);
      expect(outcomes.sort()).toEqual(['gone', 'merged']);
      expect((await store.read(user))?.entries).toEqual([
        { productId: 'a', quantity: 5 },
        { productId: 'b', quantity: 2 },
      ]);
    });
  });
});
