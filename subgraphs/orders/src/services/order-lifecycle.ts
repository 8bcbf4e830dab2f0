import { ConflictError, ErrorCode, NotFoundError, type ShopError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import { JobName, type JobData } from '@shop/queues';
import { fulfilmentSteps } from '../domain/fulfilment';
import type { PaymentGateway } from '../payments/gateway';
import type { PaymentMethod } from '../domain/checkout';
import type { PrismaClient } from '../store/prisma';
import type { Db, OrderRecord, OrderStore } from '../store/order';
import type { ProductsClient } from '../store/subgraphs';
import { OrderStatus, transition } from '../domain/order-status';

export type CancelReason = 'customer' | 'payment-timeout';

/**
 * Status changes after checkout that a person or a timer asks for: cancel (customer),
 * refund (ADMIN) and expiry (the delayed `order.expire` job). Each runs in one transaction
 * that locks the order row, checks the move with the state machine, and writes the new
 * status, its history entry and the outbox event together.
 *
 * The payment provider is called inside that transaction (like checkout does), with an
 * idempotency key derived from the order: if the commit fails after the provider refunded,
 * the repeat gets the same refund back instead of a second one. Products is called after the commit, because
 * a released reservation cannot be taken back: see releaseStock.
 */
export class OrderLifecycleService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly orders: OrderStore,
    private readonly products: ProductsClient,
    private readonly gateways: Readonly<Record<PaymentMethod, PaymentGateway>>,
    private readonly log: Logger,
  ) {}

  /**
   * The customer's cancel: PENDING_PAYMENT → CANCELLED (stock released), or PAID → refunded
   * in full, then CANCELLED. Someone else's order is NOT_FOUND, as in `order(id)`.
   */
  async cancel(orderId: string, userId: string, requestId?: string): Promise<OrderRecord> {
    const { order, refunded } = await this.prisma.$transaction(async (tx) => {
      const order = await this.orders.lockOrder(tx, orderId);
      if (!order || order.userId !== userId) throw new NotFoundError('Order', orderId);
      return this.cancelLocked(tx, order, 'customer');
    });
    // The order is cancelled either way; the delayed `order.expire` job gives the units back
    // again later (both calls are idempotent), should this attempt fail.
    await this.giveStockBack(order, refunded, requestId).catch((err: unknown) =>
      this.log.error({ err, orderId }, 'order cancelled but its stock is not back yet'),
    );
    return order;
  }

  /** ADMIN: PAID / FULFILLING / SHIPPED / DELIVERED → REFUNDED, refunded in full with its provider. */
  async refund(orderId: string, adminId: string): Promise<OrderRecord> {
    return this.prisma.$transaction(async (tx) => {
      const order = await this.orders.lockOrder(tx, orderId);
      if (!order) throw new NotFoundError('Order', orderId);
      transition(order.id, order.status, OrderStatus.REFUNDED);
      await this.refundPayment(tx, order);
      const refunded = await this.orders.setStatus(
        tx,
        order,
        OrderStatus.REFUNDED,
        `admin:${adminId}`,
      );
      await this.orders.addOutbox(tx, JobName.ORDER_REFUNDED, {
        orderId: order.id,
        userId: order.userId,
        amount: order.totalAmount,
        currency: order.currency,
      });
      return refunded;
    });
  }

  /**
   * The payment timeout (job `order.expire`): an order still PENDING_PAYMENT is cancelled
   * and its stock released; any other order is left alone. Safe to run again: a retry after
   * a failed release finds the order CANCELLED and releases again (releaseStock is
   * idempotent), which also makes this job the backstop for a customer cancel whose release
   * failed.
   */
  async expire(orderId: string): Promise<'cancelled' | 'released' | 'untouched'> {
    const result = await this.prisma.$transaction(async (tx) => {
      const order = await this.orders.lockOrder(tx, orderId);
      if (!order) return null;
      if (order.status === OrderStatus.PENDING_PAYMENT) {
        const { order: cancelled } = await this.cancelLocked(tx, order, 'payment-timeout');
        return { order: cancelled, changed: true, charged: false };
      }
      if (order.status === OrderStatus.CANCELLED) {
        return { order, changed: false, charged: await this.orders.wasCharged(tx, orderId) };
      }
      return null;
    });
    if (!result) return 'untouched';
    await this.giveStockBack(result.order, result.changed ? false : result.charged);
    return result.changed ? 'cancelled' : 'released';
  }

  /**
   * `order.placed`: the order is written, so its stock hold must stop expiring. Products
   * expires holds no order claims within its claim window; if this job comes later than
   * that (the relay or this worker was down), the claim takes the units again, and when
   * they are gone the unpaid order cannot be served and is cancelled like an expired one.
   * A released reservation (the order was cancelled meanwhile) needs no claim.
   */
  async claimStock(orderId: string): Promise<'claimed' | 'cancelled' | 'untouched'> {
    try {
      await this.products.claim(orderId);
      return 'claimed';
    } catch (error) {
      const code = (error as ShopError).code;
      if (code === ErrorCode.OUT_OF_STOCK) {
        return (await this.expire(orderId)) === 'cancelled' ? 'cancelled' : 'untouched';
      }
      if (code === ErrorCode.CONFLICT || code === ErrorCode.NOT_FOUND) return 'untouched';
      throw error;
    }
  }

  /**
   * Delivery's `shipment.updated`: moves the order along its fulfilment path (see
   * fulfilmentSteps), one recorded step at a time, in one transaction. Orders never reads
   * the delivery database: this job is the only way shipment progress reaches an order.
   * Returns the statuses the order went through (empty when nothing changed).
   */
  async followShipment(update: JobData<typeof JobName.SHIPMENT_UPDATED>): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      let order = await this.orders.lockOrder(tx, update.orderId);
      if (!order) {
        this.log.warn({ ...update }, 'shipment update for an order that does not exist');
        return [];
      }
      const steps = fulfilmentSteps(order.status, update.status);
      for (const step of steps) {
        order = await this.orders.setStatus(tx, order, step, `shipment:${update.status}`);
      }
      return steps;
    });
  }

  private async cancelLocked(
    tx: Db,
    order: OrderRecord,
    reason: CancelReason,
  ): Promise<{ order: OrderRecord; refunded: boolean }> {
    transition(order.id, order.status, OrderStatus.CANCELLED);
    const refunded = order.status === OrderStatus.PAID;
    if (refunded) await this.refundPayment(tx, order);
    const cancelled = await this.orders.setStatus(tx, order, OrderStatus.CANCELLED, reason);
    await this.orders.addOutbox(tx, JobName.ORDER_CANCELLED, {
      orderId: order.id,
      userId: order.userId,
      total: order.totalAmount,
      currency: order.currency,
      refunded,
      reason,
    });
    return { order: cancelled, refunded };
  }

  private async refundPayment(tx: Db, order: OrderRecord): Promise<void> {
    const payment = await this.orders.capturedPayment(tx, order.id);
    if (!payment) {
      throw new ConflictError(`Order ${order.id} has no captured payment to refund.`);
    }
    await this.gateways[payment.provider].refund(order.id, payment);
    await this.orders.markRefunded(tx, payment.id);
  }

  /**
   * After a cancellation: units of an order that was paid (sold, committed) are restocked,
   * units of an unpaid one released. A paid order's stock may not be committed yet (the
   * commit after payment failed); then it is still held, and released.
   */
  private async giveStockBack(order: OrderRecord, paid: boolean, requestId?: string) {
    if (!paid) return this.releaseStock(order, requestId);
    try {
      await this.products.restock(order.id, requestId);
    } catch (error) {
      if ((error as ShopError).code !== ErrorCode.CONFLICT) throw error;
      await this.releaseStock(order, requestId);
    }
  }

  /**
   * Gives an unpaid order's units back, after the commit (a released reservation cannot be
   * re-held, so it must not happen before the order is surely cancelled). A reservation
   * already committed (sold) is refused by products with CONFLICT: nothing to release.
   */
  private async releaseStock(order: OrderRecord, requestId?: string): Promise<void> {
    try {
      await this.products.release(order.id, requestId);
    } catch (error) {
      if ((error as ShopError).code === ErrorCode.CONFLICT) return;
      throw error;
    }
  }
}
