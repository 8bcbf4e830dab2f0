import Stripe from 'stripe';
import { PaymentMethod } from '../domain/checkout';
import {
  notConfigured,
  PaymentFailedError,
  type OpenedPayment,
  type PaymentGateway,
  type RefundablePayment,
} from './gateway';

export const STRIPE_NOT_CONFIGURED = notConfigured('Stripe');

export interface StripeOptions {
  secretKey: string;
  /** e.g. http://127.0.0.1:12111 (stripe-mock); empty for api.stripe.com. */
  apiUrl: string;
}

/** Builds the Stripe SDK client; `apiUrl` points it at another host such as stripe-mock. */
export function createStripe({ secretKey, apiUrl }: StripeOptions): Stripe {
  const target = apiUrl ? new URL(apiUrl) : null;
  return new Stripe(secretKey, {
    // Safe to retry: every create carries an idempotency key.
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
    ...(target
      ? {
          host: target.hostname,
          port: Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
          protocol: target.protocol.replace(':', '') as 'http' | 'https',
        }
      : {}),
  });
}

/**
 * Opens Stripe PaymentIntents. The Stripe idempotency key is derived from the order id, so a
 * retried request (by the SDK, or by a checkout resumed for the same order) can never open a
 * second PaymentIntent for one order.
 */
export class StripePayments implements PaymentGateway {
  readonly method = PaymentMethod.STRIPE;
  readonly notConfigured = STRIPE_NOT_CONFIGURED;

  constructor(private readonly stripe: Stripe | null) {}

  get configured(): boolean {
    return this.stripe !== null;
  }

  async openPayment(orderId: string, amount: number, currency: string): Promise<OpenedPayment> {
    if (!this.stripe) throw new PaymentFailedError(STRIPE_NOT_CONFIGURED);
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount,
          currency: currency.toLowerCase(),
          metadata: { orderId },
          automatic_payment_methods: { enabled: true },
        },
        { idempotencyKey: `order-${orderId}-payment-intent` },
      );
      return {
        providerReference: intent.id,
        clientSecret: intent.client_secret,
        approvalUrl: null,
      };
    } catch (error) {
      throw new PaymentFailedError(
        'Stripe could not open the payment. Nothing was charged; try again in a moment.',
        { cause: error },
      );
    }
  }

  /** Cancels a PaymentIntent nobody can pay for any more (its order was never written). */
  async abandon(paymentIntentId: string): Promise<void> {
    await this.stripe?.paymentIntents.cancel(paymentIntentId, {
      cancellation_reason: 'abandoned',
    });
  }

  /**
   * Refunds a PaymentIntent in full. The idempotency key is derived from the order, so a
   * retry (a transaction that failed after Stripe answered, then repeated) refunds once.
   */
  async refund(orderId: string, payment: RefundablePayment): Promise<string> {
    if (!this.stripe) throw new PaymentFailedError(STRIPE_NOT_CONFIGURED);
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: payment.providerReference, metadata: { orderId } },
        { idempotencyKey: `order-${orderId}-refund` },
      );
      return refund.id;
    } catch (error) {
      throw new PaymentFailedError(
        'Stripe could not refund the payment; the order is unchanged. Try again in a moment.',
        { cause: error },
      );
    }
  }
}
