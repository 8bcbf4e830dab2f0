import {
  canTransition,
  IllegalTransitionError,
  ORDER_STATUSES,
  OrderStatus,
  transition,
  type OrderStatus as Status,
} from '../src/domain/order-status';

const LEGAL: [Status, Status][] = [
  ['PENDING_PAYMENT', 'PAID'],
  ['PENDING_PAYMENT', 'CANCELLED'],
  ['PAID', 'FULFILLING'],
  ['PAID', 'CANCELLED'],
  ['PAID', 'REFUNDED'],
  ['FULFILLING', 'SHIPPED'],
  ['FULFILLING', 'REFUNDED'],
  ['SHIPPED', 'DELIVERED'],
  ['SHIPPED', 'REFUNDED'],
  ['DELIVERED', 'REFUNDED'],
];
const isLegal = (from: Status, to: Status) => LEGAL.some(([f, t]) => f === from && t === to);
// Every pair of states, the state to itself included: 49 moves, 10 legal, 39 illegal.
const ALL = ORDER_STATUSES.flatMap((from) =>
  ORDER_STATUSES.map((to): [Status, Status] => [from, to]),
);
const ILLEGAL = ALL.filter(([from, to]) => !isLegal(from, to));

describe('order state machine', () => {
  it('covers every pair of the seven states', () => {
    expect(ORDER_STATUSES).toHaveLength(7);
    expect(ALL).toHaveLength(49);
    expect(ILLEGAL).toHaveLength(39);
  });

  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(transition('o-1', from, to)).toBe(to);
  });

  it.each(ILLEGAL)('refuses %s → %s with a CONFLICT naming both states', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let error: unknown;
    try {
      transition('o-1', from, to);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IllegalTransitionError);
    const e = error as IllegalTransitionError;
    expect(e.extensions).toMatchObject({ code: 'CONFLICT', from, to });
    expect(e.message).toContain(`Order o-1 is ${from} and cannot become ${to}`);
  });

  it('says which moves are possible, or that a state is final', () => {
    expect(() => transition('o-2', OrderStatus.SHIPPED, OrderStatus.PAID)).toThrow(
      'Order o-2 is SHIPPED and cannot become PAID; from SHIPPED it can only become DELIVERED or REFUNDED.',
    );
    expect(() => transition('o-3', OrderStatus.REFUNDED, OrderStatus.PAID)).toThrow(
      'Order o-3 is REFUNDED and cannot become PAID; REFUNDED is final.',
    );
  });
});
