import {
  checkOrderId,
  claim,
  commit,
  normaliseLines,
  release,
  ReservationStatus,
  restock,
  sameLines,
  type StockMove,
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

/** What a move does when the reservation is in `status`: applies, is a repeat, or refuses. */
function outcome(move: StockMove, status: ReservationStatus) {
  if (move.from.includes(status)) return 'apply';
  try {
    return move.settle(status, 'o-1');
  } catch (error) {
    const { extensions } = error as { extensions: { code: string; reason?: string } };
    return extensions.reason ? `${extensions.code}:${extensions.reason}` : extensions.code;
  }
}

const { RESERVED, COMMITTED, RELEASED, RESTOCKED, EXPIRED } = ReservationStatus;
const ALL = [RESERVED, COMMITTED, RELEASED, RESTOCKED, EXPIRED];
const table = (move: StockMove) => Object.fromEntries(ALL.map((s) => [s, outcome(move, s)]));

describe('moves of a reservation (every status)', () => {
  it('release: held → apply (units back); released or expired → done; sold → CONFLICT', () => {
    expect(release.units).toBe(1);
    expect(table(release)).toEqual({
      RESERVED: 'apply',
      COMMITTED: 'CONFLICT',
      RELEASED: 'done',
      RESTOCKED: 'CONFLICT',
      EXPIRED: 'done',
    });
  });

  it('commit: held → apply; committed → done; expired → CONFLICT naming HOLD_EXPIRED', () => {
    expect(commit.units).toBe(0);
    expect(table(commit)).toEqual({
      RESERVED: 'apply',
      COMMITTED: 'done',
      RELEASED: 'CONFLICT',
      RESTOCKED: 'CONFLICT',
      EXPIRED: 'CONFLICT:HOLD_EXPIRED',
    });
  });

  it('restock: committed → apply (units back); restocked → done; never sold → CONFLICT', () => {
    expect(restock.units).toBe(1);
    expect(table(restock)).toEqual({
      RESERVED: 'CONFLICT',
      COMMITTED: 'apply',
      RELEASED: 'CONFLICT',
      RESTOCKED: 'done',
      EXPIRED: 'CONFLICT',
    });
  });

  it('claim: held → apply; paid → done; given back → CONFLICT (expiry: StockService)', () => {
    expect(claim.units).toBe(0);
    expect(table(claim)).toEqual({
      RESERVED: 'apply',
      COMMITTED: 'done',
      RELEASED: 'CONFLICT',
      RESTOCKED: 'CONFLICT',
      EXPIRED: 'CONFLICT',
    });
  });

  it('sameLines compares canonical lines', () => {
    const a = normaliseLines([{ productId: A, quantity: 1 }]);
    expect(sameLines(a, normaliseLines([{ productId: A, quantity: 1 }]))).toBe(true);
    expect(sameLines(a, normaliseLines([{ productId: A, quantity: 2 }]))).toBe(false);
    expect(sameLines(a, normaliseLines([{ productId: B, quantity: 1 }]))).toBe(false);
  });
});
