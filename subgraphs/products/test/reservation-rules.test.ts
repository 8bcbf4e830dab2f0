import {
  checkOrderId,
  commitHold,
  commitTransition,
  normaliseLines,
  placeHold,
  planReservation,
  releaseHold,
  releaseTransition,
  RESTOCK_MEMORY_MS,
  restockTransition,
  restockUnits,
  sameLines,
  type StockedProduct,
} from '../src/domain/reservation';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

function codeAndField(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    return (error as { extensions: unknown }).extensions;
  }
  throw new Error('expected an error');
}

describe('normaliseLines', () => {
  it('merges repeated products and sorts by product id (the lock order)', () => {
    expect(
      normaliseLines([
        { productId: B, quantity: 1 },
        { productId: A.toUpperCase(), quantity: 2 },
        { productId: B, quantity: 3 },
      ]),
    ).toEqual([
      { productId: A, quantity: 2 },
      { productId: B, quantity: 4 },
    ]);
  });

  it('refuses empty reservations, bad quantities and bad ids', () => {
    expect(codeAndField(() => normaliseLines([]))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'lines',
    });
    expect(codeAndField(() => normaliseLines([{ productId: A, quantity: 0 }]))).toMatchObject({
      field: 'lines.0.quantity',
    });
    expect(
      codeAndField(() =>
        normaliseLines([
          { productId: A, quantity: 1 },
          { productId: 'nope', quantity: 1 },
        ]),
      ),
    ).toMatchObject({ field: 'lines.1.productId' });
  });
});

describe('checkOrderId', () => {
  it('accepts ids and refuses junk', () => {
    expect(checkOrderId('order-1:abc')).toBe('order-1:abc');
    expect(codeAndField(() => checkOrderId(''))).toMatchObject({ field: 'orderId' });
    expect(codeAndField(() => checkOrderId('has space'))).toMatchObject({ field: 'orderId' });
  });
});

describe('stock arithmetic', () => {
  const state = { stock: 5, holds: [{ orderId: 'o1', quantity: 2 }] };

  it('a hold takes units and remembers the order', () => {
    expect(placeHold(state, 'o2', 5)).toEqual({
      kind: 'held',
      state: {
        stock: 0,
        holds: [
          { orderId: 'o1', quantity: 2 },
          { orderId: 'o2', quantity: 5 },
        ],
      },
    });
  });

  it('refuses more than is in stock and says how many are available', () => {
    expect(placeHold(state, 'o2', 6)).toEqual({ kind: 'insufficient', available: 5 });
  });

  it('holding twice for one order takes nothing more', () => {
    expect(placeHold(state, 'o1', 2)).toEqual({ kind: 'already-held', state });
  });

  it('release gives the units back once', () => {
    const released = releaseHold(state, 'o1');
    expect(released).toEqual({ stock: 7, holds: [] });
    expect(releaseHold(released!, 'o1')).toBeNull();
  });

  it('commit keeps the units sold and drops the hold once', () => {
    const committed = commitHold(state, 'o1');
    expect(committed).toEqual({ stock: 5, holds: [] });
    expect(commitHold(committed!, 'o1')).toBeNull();
  });
});

describe('planReservation', () => {
  const product = (id: string, stock: number, extra: Partial<StockedProduct> = {}) => ({
    id,
    name: `Product ${id.slice(0, 1)}`,
    active: true,
    deletedAt: null,
    stock,
    holds: [],
    ...extra,
  });
  const lines = [
    { productId: A, quantity: 2 },
    { productId: B, quantity: 3 },
  ];

  it('plans every line when all are available', () => {
    expect(planReservation(lines, [product(A, 2), product(B, 10)], 'o')).toEqual({
      kind: 'ok',
      writes: [
        { productId: A, state: { stock: 0, holds: [{ orderId: 'o', quantity: 2 }] } },
        { productId: B, state: { stock: 7, holds: [{ orderId: 'o', quantity: 3 }] } },
      ],
    });
  });

  it('refuses the whole reservation when one line cannot be served', () => {
    expect(planReservation(lines, [product(A, 2), product(B, 1)], 'o')).toEqual({
      kind: 'unavailable',
      productId: B,
      name: 'Product b',
      available: 1,
    });
  });

  it('treats inactive and deleted products as unavailable and unknown ids as unknown', () => {
    expect(
      planReservation(lines, [product(A, 9, { active: false }), product(B, 9)], 'o'),
    ).toMatchObject({ kind: 'unavailable', productId: A, available: 0 });
    expect(
      planReservation(lines, [product(A, 9), product(B, 9, { deletedAt: new Date() })], 'o'),
    ).toMatchObject({ kind: 'unavailable', productId: B, available: 0 });
    expect(planReservation(lines, [product(A, 9)], 'o')).toEqual({
      kind: 'unknown',
      productId: B,
    });
  });

  it('skips lines a resumed reservation already holds', () => {
    const resumed = product(A, 0, { holds: [{ orderId: 'o', quantity: 2 }] });
    expect(planReservation(lines, [resumed, product(B, 3)], 'o')).toEqual({
      kind: 'ok',
      writes: [{ productId: B, state: { stock: 0, holds: [{ orderId: 'o', quantity: 3 }] } }],
    });
  });
});

describe('transitions', () => {
  it('release: held → apply, released → done, committed → CONFLICT', () => {
    expect(releaseTransition('RESERVED', 'o')).toEqual({ kind: 'apply' });
    expect(releaseTransition('PENDING', 'o')).toEqual({ kind: 'apply' });
    expect(releaseTransition('RELEASED', 'o')).toEqual({ kind: 'done' });
    expect(codeAndField(() => releaseTransition('COMMITTED', 'o'))).toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('commit: held → apply, committed → done, released or pending → CONFLICT', () => {
    expect(commitTransition('RESERVED', 'o')).toEqual({ kind: 'apply' });
    expect(commitTransition('COMMITTED', 'o')).toEqual({ kind: 'done' });
    expect(codeAndField(() => commitTransition('RELEASED', 'o'))).toMatchObject({
      code: 'CONFLICT',
    });
    expect(codeAndField(() => commitTransition('PENDING', 'o'))).toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('restock: committed → apply, restocked → done, anything never sold → CONFLICT', () => {
    expect(restockTransition('COMMITTED', 'o')).toEqual({ kind: 'apply' });
    expect(restockTransition('RESTOCKED', 'o')).toEqual({ kind: 'done' });
    for (const status of ['PENDING', 'RESERVED', 'RELEASED'] as const) {
      expect(codeAndField(() => restockTransition(status, 'o'))).toMatchObject({
        code: 'CONFLICT',
      });
    }
    // Restocked units are neither released nor committed again.
    expect(codeAndField(() => releaseTransition('RESTOCKED', 'o'))).toMatchObject({
      code: 'CONFLICT',
    });
    expect(codeAndField(() => commitTransition('RESTOCKED', 'o'))).toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('sameLines compares canonical lines', () => {
    expect(sameLines([{ productId: A, quantity: 1 }], [{ productId: A, quantity: 1 }])).toBe(true);
    expect(sameLines([{ productId: A, quantity: 1 }], [{ productId: A, quantity: 2 }])).toBe(false);
  });
});

describe('restockUnits', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 3600 * 1000);

  it('adds the units once and remembers the order', () => {
    const next = restockUnits({ stock: 2, restocks: [] }, 'o-1', 3, now);
    expect(next).toEqual({ stock: 5, restocks: [{ orderId: 'o-1', at: now }] });
    expect(restockUnits(next!, 'o-1', 3, now)).toBeNull();
  });

  it('forgets restocks older than the memory as new ones are added', () => {
    const old = { orderId: 'o-old', at: daysAgo(RESTOCK_MEMORY_MS / (24 * 3600 * 1000) + 1) };
    const recent = { orderId: 'o-recent', at: daysAgo(1) };
    const next = restockUnits({ stock: 0, restocks: [old, recent] }, 'o-new', 1, now);
    expect(next!.restocks.map((r) => r.orderId)).toEqual(['o-recent', 'o-new']);
  });
});
