import { ErrorCode, ShopError } from '@shop/errors';
import type { PaymentMethod } from '../domain/checkout';

/** A payment could not be opened, captured or refunded (provider down, refused, not configured). */
export class PaymentFailedError extends ShopError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.PAYMENT_FAILED, message);
    if (options?.cause) this.cause = options.cause;
  }
}

/** What checkout hands the paying client. */
export interface OpenedPayment {
  /** Stripe PaymentIntent id or PayPal order id. */
  providerReference: string;
  /** Stripe: the PaymentIntent's client secret. */
  clientSecret: string | null;
  /** PayPal: where the customer approves the payment. */
  approvalUrl: string | null;
}

/** The reference a refund needs: Stripe refunds a PaymentIntent, PayPal a capture. */
export interface RefundablePayment {
  providerReference: string;
  captureReference: string | null;
}

/**
 * One payment provider as checkout and the order lifecycle use it. Every call carries an
 * idempotency key derived from the order, so a retried call (by an SDK, or a transaction
 * repeated after the provider answered) never opens or refunds twice.
 */
export interface PaymentGateway {
  readonly method: PaymentMethod;
  /** False when its credentials are not set: the provider is refused with `notConfigured`. */
  readonly configured: boolean;
  readonly notConfigured: string;
  openPayment(orderId: string, amount: number, currency: string): Promise<OpenedPayment>;
  /**
   * Called when checkout failed after the payment was opened (the order was never written):
   * closes the payment so it cannot be paid. Best effort; the provider's own expiry is the
   * fallback.
   */
  abandon(providerReference: string): Promise<void>;
  /** Refunds in full; returns the provider's refund id. */
  refund(orderId: string, payment: RefundablePayment): Promise<string>;
}

export const notConfigured = (provider: string) =>
  `${provider} is not configured on this shop; choose another payment method.`;
