// What a hostile client sends straight at the cart service (it is reachable without the
// router on the internal network): entity representations, `x-cart-id` values and product
// ids. Every refusal carries a code a client can act on, never INTERNAL_SERVER_ERROR, and
// the service keeps answering.
import { randomUUID } from 'node:crypto';
import { errorCodes, fixtureForFile, rawRequest } from '@shop/test-harness';
import { newGuestCartId } from '../src/domain/cart-id';
import { expectError, ok } from './support/assert';
import { ADD, CART } from './support/operations';
import { startCartStack } from './support/stack';

const stack = fixtureForFile(() => startCartStack());

async function post(body: unknown) {
  const res = await fetch(stack.cart.service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    ...((await res.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { path?: unknown[]; extensions?: Record<string, unknown> }[];
    }),
  };
}

async function expectServiceHealthy() {
  const health = await fetch(new URL('/healthz', stack.cart.service.url));
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok', service: 'cart' });
  expect(ok(await stack.call(CART)).cart.items).toEqual([]);
}

/** Every key the service holds under this file's prefix (carts it created). */
const storedKeys = () => stack.redis.keys(`${stack.cart.prefix}*`);

describe('entity representations', () => {
  // The cart only refers to Product (a stub with resolvable: false) and resolves no entity
  // of its own, so every representation is refused at its own index.
  it('of a stub type and of an unknown type: BAD_USER_INPUT each, and the service stays up', async () => {
    const res = await post({
      query: 'query($r:[_Any!]!){_entities(representations:$r){__typename}}',
      variables: {
        r: [
          { __typename: 'Product', id: 1 },
          { __typename: 'Nope', id: 'x' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ _entities: [null, null] });
    expect(res.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([
      [['_entities', 0], 'BAD_USER_INPUT'],
      [['_entities', 1], 'BAD_USER_INPUT'],
    ]);
    await expectServiceHealthy();
  });

  it.each([
    ['a well-formed Product', [{ __typename: 'Product', id: '65f0c0ffee0000000000abcd' }]],
    ['a Cart', [{ __typename: 'Cart', id: newGuestCartId() }]],
    ['no __typename', [{ id: 'x' }]],
    ['a string', ['Product']],
    ['a huge key', [{ __typename: 'Product', id: 'x'.repeat(100_000) }]],
    ['null', [null]],
  ])('%s: a coded refusal, never INTERNAL_SERVER_ERROR', async (_name, representations) => {
    const res = await post({
      query: 'query($r:[_Any!]!){_entities(representations:$r){__typename}}',
      variables: { r: representations },
    });
    const codes = (res.errors ?? []).map((e) => e.extensions?.code);
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(['BAD_USER_INPUT', 'BAD_REQUEST']).toContain(code);
    await expectServiceHealthy();
  });
});

describe('the x-cart-id header', () => {
  const malformed: [string, string][] = [
    ['not an id', 'not-a-cart'],
    ['8,000 characters', 'A'.repeat(8_000)],
    ['two ids (a repeated header, joined by Node)', `${newGuestCartId()}, ${newGuestCartId()}`],
    ['a Redis key pattern', 'cart:user:*'],
    ['Latin-1 text', 'caf\u00e9caf\u00e9caf\u00e9caf\u00e9caf\u00e9ca'],
    ['a tab inside', `${newGuestCartId().slice(0, 11)}\t${newGuestCartId().slice(0, 10)}`],
  ];

  it.each(malformed)(
    '%s: BAD_USER_INPUT on x-cart-id, and no cart created',
    async (_name, value) => {
      const keys = await storedKeys();
      const p = await stack.createProduct();
      for (const operation of [
        () => stack.call(CART, {}, { cartId: value }),
        () => stack.call(ADD, { productId: p.id, quantity: 1 }, { cartId: value }),
      ]) {
        const res = await operation();
        expect(res.status).toBe(200);
        expectError(res, 'BAD_USER_INPUT', { field: 'x-cart-id' });
        expect(res.errors![0]!.message).toBe(
          'The x-cart-id header must be a cart id returned by the API (Cart.id).',
        );
      }
      expect((await storedKeys()).sort()).toEqual(keys.sort());
    },
  );

  it('malformed next to a signed-in user: refused before any merge, the user cart unchanged', async () => {
    const userId = randomUUID();
    const token = stack.tokens.userToken({ sub: userId });
    const p = await stack.createProduct();
    ok(await stack.call(ADD, { productId: p.id, quantity: 2 }, { token }));
    const before = await stack.redis.hgetall(stack.userKey(userId));
    const res = await stack.call(ADD, { productId: p.id, quantity: 1 }, { token, cartId: '*' });
    expectError(res, 'BAD_USER_INPUT', { field: 'x-cart-id' });
    expect(await stack.redis.hgetall(stack.userKey(userId))).toEqual(before);
  });

  it('empty is no cart id: a new guest cart, as documented', async () => {
    const res = await stack.call(CART, {}, { cartId: '' });
    expect(ok(res).cart.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  // Node's HTTP parser refuses these before the service sees the request; the answer is
  // still GraphQL-shaped JSON with a code, and the service keeps serving.
  it.each([
    ['NUL', `x-cart-id: ${newGuestCartId().slice(0, 10)}\u0000${newGuestCartId().slice(0, 11)}`],
    ['another control character', 'x-cart-id: abc\u0001def'],
    ['a bare carriage return', 'x-cart-id: abc\rdef'],
  ])('holding %s: HTTP 400 with code BAD_REQUEST, nothing created', async (_name, header) => {
    const keys = await storedKeys();
    const res = await rawRequest(stack.cart.service.url, {
      headers: [header],
      body: JSON.stringify({ query: CART }),
    });
    expect(res.status).toBe(400);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    const body = JSON.parse(res.body) as { errors: { message: string; extensions: object }[] };
    expect(body.errors).toEqual([
      {
        message: expect.stringContaining('a header holds a character headers may not'),
        extensions: { code: 'BAD_REQUEST' },
      },
    ]);
    expect((await storedKeys()).sort()).toEqual(keys.sort());
    await expectServiceHealthy();
  });

  it('beyond the 16 KB of headers Node accepts: HTTP 431 with code BAD_REQUEST', async () => {
    const res = await rawRequest(stack.cart.service.url, {
      headers: [`x-cart-id: ${'A'.repeat(20_000)}`],
      body: JSON.stringify({ query: CART }),
    });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({
      errors: [
        {
          message: 'The request headers are larger than the server accepts (16 KB in all).',
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
    await expectServiceHealthy();
  });
});

describe('product ids', () => {
  it.each([
    ['100,000 characters', 'BAD_USER_INPUT', 'f'.repeat(100_000)],
    ['a NUL inside', 'BAD_USER_INPUT', '65f0c0ffee00\u00000000000abcd'],
    ['blanks', 'BAD_USER_INPUT', '65f0c0ffee00 0000000abcd'],
    ['a Redis key pattern', 'NOT_FOUND', '*'],
  ])('%s: %s, nothing stored', async (_name, code, productId) => {
    const userId = randomUUID();
    const token = stack.tokens.userToken({ sub: userId });
    const res = await stack.call(ADD, { productId, quantity: 1 }, { token });
    expect(errorCodes(res)).toEqual([code]);
    expect(await stack.redis.exists(stack.userKey(userId))).toBe(0);
  });
});
