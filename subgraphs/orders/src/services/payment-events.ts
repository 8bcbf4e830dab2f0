import type Stripe from 'stripe';
import type { Logger } from '@shop/logging';
import { JobName } from '@shop/queues';
import { activeSpanRecording, asTraceCarrier, linkActiveSpan, TRACE_KEY } from '@shop/telemetry';
import { isUniqueViolation, type PrismaClient } from '../store/prisma';
import type { PaymentGateway } from '../payments/gateway';
import type { OrderStore } from '../store/order';
import type { ProductsClient } from '../store/subgraphs';
import { canTransition, OrderStatus } from '../domain/order-status';

/** What applying one event did; `commitStockFor` names an order whose stock is now sold. */
export type EventOutcome =
  | { kind: 'applied'; commitStockFor?: string }
  | { kind: 'duplicate'; commitStockFor?: string }
  | { kind: 'ignored'; reason: string };

/**
 * Applies Stripe events to orders, each event id once: the event id is inserted into
 * processed_webhook_events in the same transaction as the order change, so a replay (or
 * the same event delivered twice at once) hits the primary key and changes nothing.
 */
export class PaymentEventService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly orders: OrderStore,
    private readonly products: ProductsClient,
    private readonly stripe: PaymentGateway,
    private readonly log: Logger,
  ) {}

  async handleStripeEvent(event: Stripe.Event): Promise<EventOutcome> {
    let outcome: EventOutcome;
    try {
      outcome = await this.prisma.$transaction(async (tx) => {
        await tx.processedWebhookEvent.create({
          data: { id: event.id, provider: 'STRIPE', type: event.type },
        });
        switch (event.type) {
          case 'payment_intent.succeeded':
            return this.succeeded(tx, event.data.object, event.id);
          case 'payment_intent.payment_failed':
            return this.failed(tx, event.data.object);
          case 'charge.refunded':
            return this.refunded(tx, event.data.object, event.id);
          default:
            return { kind: 'ignored', reason: `event type ${event.type} is not used` };
        }
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      outcome = { kind: 'duplicate', commitStockFor: await this.paidOrderOf(event) };
    }
    if (outcome.kind === 'ignored') {
      this.log.warn(
        { eventId: event.id, type: event.type, reason: outcome.reason },
        'stripe event left alone',
      );
    }
    // After the commit: products is another service. commitStock is idempotent, and a
    // replay of the event retries it, so a failure here is answered 500 (Stripe retries).
    if (outcome.kind !== 'ignored' && outcome.commitStockFor) {
      await this.products.commit(outcome.commitStockFor);
    }
    return outcome;
  }

  private async succeeded(
    tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
    intent: Stripe.PaymentIntent,
    eventId: string,
  ): Promise<EventOutcome> {
    const payment = await tx.payment.findUnique({
      where: { providerReference: intent.id },
      include: { order: true },
    });
    if (!payment) return { kind: 'ignored', reason: `no payment ${intent.id}` };
    const { order } = payment;
    await linkToCheckout(tx, order.id);
    if (
      intent.amount !== order.totalAmount ||
      intent.currency.toUpperCase() !== order.currency.toUpperCase()
    ) {
      return {
        kind: 'ignored',
        reason:
          `amount mismatch: Stripe says ${intent.amount} ${intent.currency}, ` +
          `order ${order.id} is ${order.totalAmount} ${order.currency}`,
      };
    }
    if (!canTransition(order.status, OrderStatus.PAID)) {
      await tx.payment.update({ where: { id: payment.id }, data: { status: 'SUCCEEDED' } });
      if (order.status === OrderStatus.CANCELLED) {
        // Paid after the payment timeout cancelled the order (its stock is gone): the money
        // goes straight back. Same idempotency key as any refund of this order: once only.
        await this.stripe.refund(order.id, payment);
        await this.orders.markRefunded(tx, payment.id);
        this.log.warn(
          { orderId: order.id, eventId },
          'payment arrived after cancellation: refunded',
        );
        return { kind: 'applied' };
      }
      return { kind: 'ignored', reason: `order ${order.id} is ${order.status}, not payable` };
    }
    await this.orders.markPaid(tx, order, payment, `stripe:${eventId}`);
    return { kind: 'applied', commitStockFor: order.id };
  }

  private async failed(
    tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
    intent: Stripe.PaymentIntent,
  ): Promise<EventOutcome> {
    const { count } = await tx.payment.updateMany({
      where: { providerReference: intent.id, status: 'PENDING' },
      data: {
        status: 'FAILED',
        failureMessage: intent.last_payment_error?.message ?? 'payment failed',
      },
    });
    // The order stays PENDING_PAYMENT: the customer may retry with another card.
    return count
      ? { kind: 'applied' }
      : { kind: 'ignored', reason: `no pending payment ${intent.id}` };
  }

  private async refunded(
    tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
    charge: Stripe.Charge,
    eventId: string,
  ): Promise<EventOutcome> {
    const intentId =
      typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    const payment = intentId
      ? await tx.payment.findUnique({
          where: { providerReference: intentId },
          include: { order: true },
        })
      : null;
    if (!payment) return { kind: 'ignored', reason: `no payment for charge ${charge.id}` };
    const { order } = payment;
    if (!canTransition(order.status, OrderStatus.REFUNDED)) {
      return {
        kind: 'ignored',
        reason: `order ${order.id} is ${order.status}, cannot be refunded`,
      };
    }
    await tx.payment.update({ where: { id: payment.id }, data: { status: 'REFUNDED' } });
    await this.orders.setStatus(tx, order, OrderStatus.REFUNDED, `stripe:${eventId}`);
    await this.orders.addOutbox(tx, JobName.ORDER_REFUNDED, {
      orderId: order.id,
      userId: order.userId,
      amount: charge.amount_refunded,
      currency: order.currency,
    });
    return { kind: 'applied' };
  }

  /** For a replayed payment_intent.succeeded: the order, if it is paid (to re-commit stock). */
  private async paidOrderOf(event: Stripe.Event): Promise<string | undefined> {
    if (event.type !== 'payment_intent.succeeded') return undefined;
    const payment = await this.prisma.payment.findUnique({
      where: { providerReference: event.data.object.id },
      include: { order: { select: { id: true, status: true } } },
    });
    return payment?.order.status === OrderStatus.PAID ? payment.order.id : undefined;
  }
}

/**
 * Stripe's webhook comes with no trace of its own: when tracing records, its span is linked
 * to the trace of the checkout that placed the order (the one its order.placed outbox row
 * kept), so a trace viewer leads from the payment back to the purchase.
 */
async function linkToCheckout(
  tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
  orderId: string,
): Promise<void> {
  if (!activeSpanRecording()) return;
  const placed = await tx.outbox.findFirst({
    where: { topic: JobName.ORDER_PLACED, payload: { path: ['orderId'], equals: orderId } },
    select: { payload: true },
  });
  const payload = placed?.payload as Record<string, unknown> | null | undefined;
  linkActiveSpan(asTraceCarrier(payload?.[TRACE_KEY]));
}
