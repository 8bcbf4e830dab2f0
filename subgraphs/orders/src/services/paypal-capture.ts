import { ConflictError, NotFoundError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import { PaymentFailedError } from '../payments/gateway';
import type { PaypalPayments } from '../payments/paypal';
import type { OrderRecord, OrderStore } from '../store/order';
import type { PrismaClient } from '../store/prisma';
import type { ProductsClient } from '../store/subgraphs';
import { PaymentMethod } from '../domain/checkout';
import { OrderStatus } from '../domain/order-status';

/**
 * capturePaypalOrder: the customer is back from approving on PayPal; the money is taken.
 *
 * 1. Capture on PayPal first (PayPal-Request-Id from our order id: a repeat, or two
 *    concurrent calls, capture once). No database lock is held while PayPal answers.
 * 2. Then, in one transaction with the order row locked: COMPLETED with the order's amount
 *    and currency → payment SUCCEEDED, order PAID, `order.paid` in the outbox; anything else
 *    → payment FAILED and PAYMENT_FAILED for the client (the order stays PENDING_PAYMENT, so
 *    the customer can approve again or cancel).
 * 3. After the commit, the stock reservation is committed in products (idempotent; the next
 *    call or webhook retries it).
 *
 * If the order stopped waiting meanwhile (its payment timeout cancelled it), money that
 * PayPal took anyway is refunded at once and the client told so.
 */
export class PaypalCaptureService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly orders: OrderStore,
    private readonly products: ProductsClient,
    private readonly paypal: PaypalPayments,
    private readonly log: Logger,
  ) {}

  async capture(orderId: string, userId: string, requestId?: string): Promise<OrderRecord> {
    const [order] = await this.orders.findByIds([orderId]);
    if (!order || order.userId !== userId) throw new NotFoundError('Order', orderId);
    const payment = await this.orders.latestPayment(this.prisma, orderId, PaymentMethod.PAYPAL);
    if (!payment) {
      throw new ConflictError(
        `Order ${orderId} is not paid with PayPal; there is nothing to capture.`,
      );
    }
    if (order.status !== OrderStatus.PENDING_PAYMENT) {
      // Captured before (a repeated call), or no longer payable.
      if (payment.status === 'SUCCEEDED' && order.status === OrderStatus.PAID) {
        await this.commitStock(orderId, requestId);
        return order;
      }
      if (payment.status === 'SUCCEEDED' || payment.status === 'REFUNDED') return order;
      throw new ConflictError(
        `Order ${orderId} is ${order.status}; only a PENDING_PAYMENT order can be paid.`,
      );
    }

    const outcome = await this.paypal.capture(orderId, payment.providerReference);
    const result = await this.prisma.$transaction(async (tx) => {
      const current = await this.orders.lockOrder(tx, orderId);
      if (!current) throw new NotFoundError('Order', orderId);
      const fresh = await tx.payment.findUniqueOrThrow({ where: { id: payment.id } });

      if (outcome.kind === 'not-completed') {
        if (fresh.status === 'PENDING') {
          await tx.payment.update({
            where: { id: payment.id },
            data: { status: 'FAILED', failureMessage: `${outcome.status}: ${outcome.reason}` },
          });
        }
        return { kind: 'failed' as const, reason: outcome.reason };
      }
      if (outcome.amount !== current.totalAmount || outcome.currency !== current.currency) {
        this.log.error(
          { orderId, paypal: outcome, order: [current.totalAmount, current.currency] },
          'PayPal captured an amount that is not the order total',
        );
        return { kind: 'failed' as const, reason: 'the captured amount is not the order total' };
      }
      if (current.status === OrderStatus.PENDING_PAYMENT) {
        const paid = await this.orders.markPaid(
          tx,
          current,
          fresh,
          `paypal:${outcome.captureId}`,
          outcome.captureId,
        );
        return { kind: 'paid' as const, order: paid };
      }
      if (fresh.status === 'SUCCEEDED' || fresh.status === 'REFUNDED') {
        return { kind: 'already' as const, order: current };
      }
      // Cancelled while the customer was on PayPal: give the money back.
      await tx.payment.update({
        where: { id: payment.id },
        data: { status: 'SUCCEEDED', captureReference: outcome.captureId },
      });
      await this.paypal.refund(orderId, {
        providerReference: payment.providerReference,
        captureReference: outcome.captureId,
      });
      await this.orders.markRefunded(tx, payment.id);
      this.log.warn(
        { orderId, status: current.status },
        'PayPal payment after cancellation: refunded',
      );
      return { kind: 'refunded' as const, status: current.status };
    });

    switch (result.kind) {
      case 'failed':
        throw new PaymentFailedError(
          `PayPal did not complete the payment (${result.reason}). Nothing was charged; ` +
            'approve the payment on PayPal again, or cancel the order.',
        );
      case 'refunded':
        throw new ConflictError(
          `Order ${orderId} was ${result.status} before the payment arrived; ` +
            'the PayPal payment has been refunded in full.',
        );
      case 'already':
        return result.order;
      case 'paid':
        this.log.info({ orderId }, 'order paid with PayPal');
        await this.commitStock(orderId, requestId);
        return result.order;
    }
  }

  /** The order is paid either way; a repeated capturePaypalOrder commits again. */
  private async commitStock(orderId: string, requestId?: string): Promise<void> {
    await this.products
      .commit(orderId, requestId)
      .catch((err: unknown) =>
        this.log.error({ err, orderId }, 'order paid but its stock is not committed yet'),
      );
  }
}
