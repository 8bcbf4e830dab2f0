import { randomUUID } from 'node:crypto';
import { isOutage, ShopError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import { counter } from '@shop/metrics';
import { JobName } from '@shop/queues';
import { PaymentFailedError, type PaymentGateway } from '../payments/gateway';
import { isUniqueViolation, type PrismaClient } from '../store/prisma';
import {
  outboxRow,
  type OrderLineRecord,
  type OrderRecord,
  type OrderStore,
  type PaymentRecord,
} from '../store/order';
import type { CartClient, ProductsClient, UsersClient } from '../store/subgraphs';
import {
  checkIdempotencyKey,
  PaymentMethod,
  pickAddress,
  priceOrder,
  type ShippingAddress,
} from '../domain/checkout';

export interface CheckoutRequest {
  userId: string;
  /** The customer's own bearer token: cart is read and cleared on their behalf. */
  token: string;
  paymentMethod: PaymentMethod;
  shippingAddressId: string;
  idempotencyKey: string;
  requestId: string;
  log: Logger;
}

export interface CheckoutResult {
  order: OrderRecord;
  payment: PaymentRecord;
  /** The order's lines when this checkout wrote them (not for a repeated key's earlier order). */
  lines?: OrderLineRecord[];
}

/**
 * checkout, step by step (docs/architecture.md, "The order's journey", step 3). The order is written in one transaction
 * that stays open while stock is reserved and the payment opened:
 *
 * 1. read cart (customer's token), addresses (service token) and prices (products) — reads only;
 * 2. BEGIN; insert the order under the unique (userId, idempotencyKey) — a concurrent repeat
 *    blocks right here on the index until this transaction ends;
 * 3. reserve stock for the pre-generated order id (products), open the PaymentIntent (Stripe,
 *    idempotency key from the order id), insert the payment and the outbox rows that claim
 *    the stock hold (`order.placed`) and schedule the order's expiry (`order.expire`); COMMIT;
 * 4. clear the cart.
 *
 * Any failure in 2-3 rolls the transaction back (no order, no lines, no payment) and releases
 * the reservation; the cart is only touched after the commit. A repeat that lost the race
 * gets the unique violation once the winner commits and returns the winner's order; if the
 * winner failed, the repeat's insert goes through and it checks out on its own.
 * The price of this design is one PostgreSQL connection held per checkout in flight
 * (ORDERS_DATABASE_POOL_SIZE).
 */
const outcomes = counter({
  name: 'shop_orders_checkouts_total',
  help: 'Checkouts by payment method and outcome: `placed` (an order with its payment, or the earlier one for a repeated idempotency key) or the error code the customer got.',
  labelNames: ['payment_method', 'outcome'] as const,
});

/** The stable code of a failed checkout; anything else is a bug or an outage. */
function outcomeOf(error: unknown): string {
  if (error instanceof ShopError) return error.code;
  return isOutage(error) ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR';
}

export class CheckoutService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly orders: OrderStore,
    private readonly cart: CartClient,
    private readonly users: UsersClient,
    private readonly products: ProductsClient,
    private readonly gateways: Readonly<Record<PaymentMethod, PaymentGateway>>,
    private readonly options: { timeoutMs: number; paymentTimeoutMs: number },
  ) {}

  /** Places the order (see the class comment) and counts its outcome. */
  async checkout(req: CheckoutRequest): Promise<CheckoutResult> {
    const payment_method = req.paymentMethod;
    try {
      const result = await this.place(req);
      outcomes.inc({ payment_method, outcome: 'placed' });
      return result;
    } catch (error) {
      outcomes.inc({ payment_method, outcome: outcomeOf(error) });
      throw error;
    }
  }

  private async place(req: CheckoutRequest): Promise<CheckoutResult> {
    const key = checkIdempotencyKey(req.idempotencyKey);
    // No look-up of an earlier checkout with this key first: that would cost every
    // checkout a query for the sake of the rare repeat. A repeat finds the cart empty (the
    // first checkout cleared it) or fails on the unique (userId, idempotencyKey) insert;
    // both paths answer with the earlier order below.

    // Refuse what cannot work before anything is read or written.
    const gateway = this.gateways[req.paymentMethod];
    if (!gateway.configured) throw new PaymentFailedError(gateway.notConfigured);

    const cartLines = await this.cart.read(req.token, req.requestId);
    if (cartLines.length === 0) {
      // The cart may be empty because a concurrent repeat of this very checkout just won.
      const winner = await this.previous(req.userId, key);
      if (winner) return winner;
    }
    const [addresses, catalog] = await Promise.all([
      this.users.addressesOf(req.userId, req.requestId),
      this.products.findByIds(
        cartLines.map((l) => l.productId),
        req.requestId,
      ),
    ]);
    const { lines, total } = priceOrder(cartLines, catalog);
    const { id: _addressId, ...shippingAddress } = pickAddress(addresses, req.shippingAddressId);

    const orderId = randomUUID();
    let reserveAttempted = false;
    // Set once the provider opened the payment (assigned inside the transaction callback).
    const openedPayment: { reference?: string } = {};
    try {
      const result = await this.prisma.$transaction(
        async (tx) => {
          const { order, lines: written } = await this.orders.insertOrder(tx, {
            id: orderId,
            userId: req.userId,
            idempotencyKey: key,
            currency: total.currency,
            totalAmount: total.amount,
            shippingAddress: shippingAddress satisfies ShippingAddress,
            lines,
          });
          reserveAttempted = true;
          await this.products.reserve(orderId, lines, req.requestId);
          const opened = await gateway.openPayment(orderId, total.amount, total.currency);
          openedPayment.reference = opened.providerReference;
          const payment = await this.orders.insertPayment(tx, {
            orderId,
            provider: gateway.method,
            providerReference: opened.providerReference,
            amount: total.amount,
            currency: total.currency,
            clientSecret: opened.clientSecret,
            approvalUrl: opened.approvalUrl,
          });
          // Both through the outbox with the order: committed together, so every order
          // claims its stock hold (products gives unclaimed holds back, which covers a
          // crash before this commit) and no unpaid order exists without its expiry.
          await this.orders.addOutboxRows(tx, [
            outboxRow(JobName.ORDER_PLACED, { orderId }),
            outboxRow(JobName.ORDER_EXPIRE, {
              orderId,
              expiresAt: new Date(Date.now() + this.options.paymentTimeoutMs).toISOString(),
            }),
          ]);
          return { order, payment, lines: written };
        },
        { maxWait: this.options.timeoutMs, timeout: this.options.timeoutMs },
      );
      req.log.info(
        { orderId, total, provider: gateway.method, payment: result.payment.providerReference },
        'order placed',
      );
      await this.cart.clear(req.token, req.requestId).catch((err: unknown) =>
        // The order stands; a cart left full is a nuisance, not a wrong order.
        req.log.error({ err, orderId }, 'order placed but the cart could not be cleared'),
      );
      return result;
    } catch (error) {
      const reference = openedPayment.reference;
      if (reference) {
        // The payment exists but its order does not: close it, so nobody can pay for nothing.
        await gateway
          .abandon(reference)
          .catch((err: unknown) =>
            req.log.error(
              { err, orderId, payment: reference },
              'checkout failed; payment left open',
            ),
          );
      }
      if (reserveAttempted) {
        await this.products
          .release(orderId, req.requestId)
          .catch((err: unknown) =>
            req.log.error({ err, orderId }, 'checkout failed and its stock could not be released'),
          );
      }
      if (isUniqueViolation(error)) {
        const winner = await this.previous(req.userId, key);
        if (winner) return winner;
      }
      if (error instanceof PaymentFailedError) {
        req.log.warn({ err: error.cause ?? error, orderId }, 'checkout: payment not opened');
      }
      throw error;
    }
  }

  /** What an earlier checkout with this key produced (committed orders always have a payment). */
  private async previous(userId: string, key: string): Promise<CheckoutResult | null> {
    const found = await this.orders.findByIdempotencyKey(userId, key);
    return found?.payment ? { order: found.order, payment: found.payment } : null;
  }
}
