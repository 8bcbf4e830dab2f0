import { ErrorCode } from '@shop/errors';
import {
  canTransition,
  DELIVERY_STATUSES,
  IllegalDeliveryTransitionError,
  isFinal,
  transition,
  type DeliveryStatus,
} from '../src/domain/shipment-status';
import { reportedEvent } from '../src/domain/tracking-event';

// Written out by hand, independently of the table in the domain file.
const LEGAL = new Set([
  'PENDING→LABEL_CREATED',
  'LABEL_CREATED→PICKED_UP',
  'PICKED_UP→IN_TRANSIT',
  'PICKED_UP→OUT_FOR_DELIVERY',
  'IN_TRANSIT→IN_TRANSIT',
  'IN_TRANSIT→OUT_FOR_DELIVERY',
  'IN_TRANSIT→RETURNED',
  'OUT_FOR_DELIVERY→DELIVERED',
  'OUT_FOR_DELIVERY→FAILED_ATTEMPT',
  'FAILED_ATTEMPT→OUT_FOR_DELIVERY',
  'FAILED_ATTEMPT→IN_TRANSIT',
  'FAILED_ATTEMPT→RETURNED',
  'PENDING→CANCELLED',
  'LABEL_CREATED→CANCELLED',
]);

const pairs = DELIVERY_STATUSES.flatMap((from) =>
  DELIVERY_STATUSES.map((to) => [from, to] as [DeliveryStatus, DeliveryStatus]),
);

describe('shipment status transitions', () => {
  it.each(pairs.filter(([f, t]) => LEGAL.has(`${f}→${t}`)))('%s → %s is legal', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(transition('s1', from, to)).toBe(to);
  });

  it.each(pairs.filter(([f, t]) => !LEGAL.has(`${f}→${t}`)))(
    '%s → %s is refused with BAD_USER_INPUT naming both states',
    (from, to) => {
      expect(canTransition(from, to)).toBe(false);
      let error: unknown;
      try {
        transition('s1', from, to);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IllegalDeliveryTransitionError);
      const e = error as IllegalDeliveryTransitionError;
      expect(e.extensions).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, from, to });
      expect(e.message).toContain(`is ${from} and cannot become ${to}`);
    },
  );

  it('covers all 81 pairs, and only DELIVERED, RETURNED and CANCELLED are final', () => {
    expect(pairs).toHaveLength(81);
    expect(DELIVERY_STATUSES.filter(isFinal)).toEqual(['DELIVERED', 'RETURNED', 'CANCELLED']);
    expect(() => transition('s1', 'CANCELLED', 'PICKED_UP')).toThrow(/CANCELLED is final/);
    expect(() => transition('s1', 'DELIVERED', 'RETURNED')).toThrow(/DELIVERED is final/);
    expect(() => transition('s1', 'LABEL_CREATED', 'DELIVERED')).toThrow(
      /from LABEL_CREATED it can only become PICKED_UP/,
    );
  });
});

describe('reported tracking events', () => {
  const at = new Date('2026-11-25T10:00:00Z');

  it('trims location and note and turns blanks into null', () => {
    expect(reportedEvent({ status: 'PICKED_UP', location: '  Depot 4 ', note: '  ', at })).toEqual({
      status: 'PICKED_UP',
      location: 'Depot 4',
      note: null,
      at,
    });
  });

  it('refuses a location over 200 or a note over 500 characters, naming the field', () => {
    expect(() => reportedEvent({ status: 'IN_TRANSIT', location: 'x'.repeat(201), at })).toThrow(
      '"location" must be at most 200 characters.',
    );
    expect(() => reportedEvent({ status: 'IN_TRANSIT', note: 'x'.repeat(501), at })).toThrow(
      '"note" must be at most 500 characters.',
    );
    expect(reportedEvent({ status: 'IN_TRANSIT', note: 'é'.repeat(500), at }).note).toHaveLength(
      500,
    );
  });

  it('refuses control characters and statuses only delivery sets', () => {
    expect(() => reportedEvent({ status: 'IN_TRANSIT', note: 'a\u0000b', at })).toThrow(
      /control characters/,
    );
    for (const status of ['PENDING', 'LABEL_CREATED', 'CANCELLED'] as const) {
      expect(() => reportedEvent({ status, at })).toThrow(/cannot be reported/);
    }
  });
});
