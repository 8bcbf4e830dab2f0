import { DELIVERY_STATUSES } from '@shop/queues';
import { fulfilmentSteps } from '../src/domain/fulfilment';
import { canTransition, ORDER_STATUSES } from '../src/domain/order-status';

describe('an order follows its shipment', () => {
  it.each([
    ['PAID', 'LABEL_CREATED', ['FULFILLING']],
    ['PAID', 'PICKED_UP', ['FULFILLING', 'SHIPPED']],
    ['FULFILLING', 'IN_TRANSIT', ['SHIPPED']],
    ['FULFILLING', 'OUT_FOR_DELIVERY', ['SHIPPED']],
    ['SHIPPED', 'DELIVERED', ['DELIVERED']],
    ['PAID', 'DELIVERED', ['FULFILLING', 'SHIPPED', 'DELIVERED']],
  ] as const)('%s + shipment %s → %j', (order, shipment, steps) => {
    expect(fulfilmentSteps(order, shipment)).toEqual(steps);
  });

  it('never moves backwards when updates arrive late or twice', () => {
    expect(fulfilmentSteps('SHIPPED', 'LABEL_CREATED')).toEqual([]);
    expect(fulfilmentSteps('SHIPPED', 'IN_TRANSIT')).toEqual([]);
    expect(fulfilmentSteps('DELIVERED', 'OUT_FOR_DELIVERY')).toEqual([]);
    expect(fulfilmentSteps('DELIVERED', 'DELIVERED')).toEqual([]);
  });

  it('leaves cancelled, refunded and unpaid orders alone', () => {
    for (const order of ['CANCELLED', 'REFUNDED', 'PENDING_PAYMENT'] as const) {
      for (const shipment of DELIVERY_STATUSES) {
        expect(fulfilmentSteps(order, shipment)).toEqual([]);
      }
    }
  });

  it('ignores shipment states that say nothing about the order', () => {
    for (const shipment of ['PENDING', 'FAILED_ATTEMPT', 'RETURNED'] as const) {
      expect(fulfilmentSteps('FULFILLING', shipment)).toEqual([]);
    }
  });

  it('only ever takes legal single steps of the order state machine', () => {
    for (const order of ORDER_STATUSES) {
      for (const shipment of DELIVERY_STATUSES) {
        let at = order;
        for (const next of fulfilmentSteps(order, shipment)) {
          expect(canTransition(at, next)).toBe(true);
          at = next;
        }
      }
    }
  });
});
