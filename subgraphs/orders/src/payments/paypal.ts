import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import {
  ApiError,
  CheckoutPaymentIntent,
  Client,
  Environment,
  OrdersController,
  PaymentsController,
  PaypalExperienceUserAction,
  type Order as PaypalOrder,
} from '@paypal/paypal-server-sdk';
import { PaymentMethod } from '../domain/checkout';
import {
  notConfigured,
  PaymentFailedError,
  type OpenedPayment,
  type PaymentGateway,
  type RefundablePayment,
} from './gateway';

export const PAYPAL_NOT_CONFIGURED = notConfigured('PayPal');

export interface PaypalOptions {
  clientId: string;
  clientSecret: string;
  environment: 'sandbox' | 'live';
  /**
   * Sends every API call to this base URL instead of PayPal's host, e.g. a PayPal-compatible
   * server on the local network. The SDK only knows PayPal's two hosts, so the redirect is
   * done below the SDK, by the HTTPS agent its HTTP client is given (see redirectingAgent).
   */
  apiUrl: string;
  /** Where PayPal sends the customer back after approving, and after giving up. */
  returnUrl: string;
  cancelUrl: string;
  timeoutMs: number;
}

/** What a capture came to. */
export type CaptureOutcome =
  | { kind: 'completed'; captureId: string; amount: number; currency: string }
  | { kind: 'not-completed'; status: string; reason: string };

/**
 * An HTTPS agent that opens its connections to `target` whatever host the request names:
 * plain TCP for an http:// target, TLS (checked against the target's host) for https://.
 * Requests keep PayPal's paths and headers, so a PayPal-compatible server answers them.
 */
function redirectingAgent(target: URL): https.Agent {
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const host = target.hostname;
  const agent = new https.Agent({ keepAlive: true });
  agent.createConnection = (_options, callback) => {
    const socket =
      target.protocol === 'https:'
        ? tls.connect({ host, port, servername: host })
        : net.connect({ host, port });
    if (callback) {
      socket.once('error', (err) => callback(err, socket));
      socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () =>
        callback(null, socket),
      );
      return undefined;
    }
    return socket;
  };
  return agent;
}

/** Minor units → PayPal's decimal string in the currency's own digits (1999 USD → "19.99"). */
export function toPaypalValue(amount: number, currency: string): string {
  const digits = currencyDigits(currency);
  return (amount / 10 ** digits).toFixed(digits);
}

/** PayPal's decimal string → minor units ("19.99" USD → 1999). */
export function fromPaypalValue(value: string, currency: string): number {
  const digits = currencyDigits(currency);
  const [whole = '0', fraction = ''] = value.split('.');
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0').slice(0, digits) || 0);
}

function currencyDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits ?? 2
  );
}

/** PayPal's error name and first issue, e.g. "UNPROCESSABLE_ENTITY/ORDER_NOT_APPROVED". */
function issueOf(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  const body = error.result as { name?: string; details?: { issue?: string }[] } | undefined;
  const issue = body?.details?.[0]?.issue;
  return [body?.name ?? `HTTP ${error.statusCode}`, issue].filter(Boolean).join('/');
}

/**
 * PayPal Orders v2 with the official server SDK: an order per shop order (intent CAPTURE,
 * custom_id = our order id), approved by the customer on PayPal, captured when they come
 * back (capturePaypalOrder), refunded per capture. PayPal-Request-Id, derived from our
 * order id, makes each create, capture and refund idempotent on PayPal's side.
 */
export class PaypalPayments implements PaymentGateway {
  readonly method = PaymentMethod.PAYPAL;
  readonly notConfigured = PAYPAL_NOT_CONFIGURED;
  private readonly orders: OrdersController | null;
  private readonly payments: PaymentsController | null;

  constructor(private readonly options: PaypalOptions) {
    if (!options.clientId || !options.clientSecret) {
      this.orders = null;
      this.payments = null;
      return;
    }
    const client = new Client({
      clientCredentialsAuthCredentials: {
        oAuthClientId: options.clientId,
        oAuthClientSecret: options.clientSecret,
      },
      environment: options.environment === 'live' ? Environment.Production : Environment.Sandbox,
      timeout: options.timeoutMs,
      httpClientOptions: {
        timeout: options.timeoutMs,
        ...(options.apiUrl ? { httpsAgent: redirectingAgent(new URL(options.apiUrl)) } : {}),
        // POSTs are retried by our callers with the same PayPal-Request-Id, not blindly here.
        retryConfig: { maxNumberOfRetries: 2, httpMethodsToRetry: ['GET'] },
      },
    });
    this.orders = new OrdersController(client);
    this.payments = new PaymentsController(client);
  }

  get configured(): boolean {
    return this.orders !== null;
  }

  async openPayment(orderId: string, amount: number, currency: string): Promise<OpenedPayment> {
    if (!this.orders) throw new PaymentFailedError(PAYPAL_NOT_CONFIGURED);
    let order: PaypalOrder;
    try {
      ({ result: order } = await this.orders.createOrder({
        paypalRequestId: `order-${orderId}-create`,
        prefer: 'return=minimal',
        body: {
          intent: CheckoutPaymentIntent.Capture,
          purchaseUnits: [
            {
              referenceId: orderId,
              customId: orderId,
              invoiceId: orderId,
              amount: { currencyCode: currency, value: toPaypalValue(amount, currency) },
            },
          ],
          paymentSource: {
            paypal: {
              experienceContext: {
                returnUrl: this.options.returnUrl,
                cancelUrl: this.options.cancelUrl,
                userAction: PaypalExperienceUserAction.PayNow,
              },
            },
          },
        },
      }));
    } catch (error) {
      throw new PaymentFailedError(
        'PayPal could not open the payment. Nothing was charged; try again in a moment.',
        { cause: error },
      );
    }
    // payer-action is the approval link when a payment_source is given; approve otherwise.
    const link = order.links?.find((l) => l.rel === 'payer-action' || l.rel === 'approve');
    if (!order.id || !link) {
      throw new PaymentFailedError('PayPal opened the payment without an approval link.', {
        cause: new Error(`PayPal order ${order.id ?? '?'} has no payer-action link`),
      });
    }
    return { providerReference: order.id, clientSecret: null, approvalUrl: link.href };
  }

  /**
   * Orders v2 has no call to void a CAPTURE order that was never approved; it lapses on its
   * own, and capturePaypalOrder refuses it because no shop order refers to it.
   */
  async abandon(): Promise<void> {}

  /**
   * Captures an approved PayPal order. Completed → the capture's id and amount; anything else
   * (not approved yet, declined, pending review) → not-completed with PayPal's reason. An
   * order captured before (a repeated call) is read back and reported as completed.
   */
  async capture(orderId: string, paypalOrderId: string): Promise<CaptureOutcome> {
    if (!this.orders) throw new PaymentFailedError(PAYPAL_NOT_CONFIGURED);
    let order: PaypalOrder;
    try {
      ({ result: order } = await this.orders.captureOrder({
        id: paypalOrderId,
        paypalRequestId: `order-${orderId}-capture`,
        prefer: 'return=representation',
      }));
    } catch (error) {
      const issue = issueOf(error);
      if (issue?.endsWith('ORDER_ALREADY_CAPTURED')) {
        ({ result: order } = await this.orders.getOrder({ id: paypalOrderId }));
      } else if (error instanceof ApiError && error.statusCode < 500) {
        return { kind: 'not-completed', status: 'REFUSED', reason: issue ?? 'refused' };
      } else {
        throw new PaymentFailedError(
          'PayPal could not be reached to take the payment; try again in a moment.',
          { cause: error },
        );
      }
    }
    const capture = order.purchaseUnits?.[0]?.payments?.captures?.[0];
    if (order.status !== 'COMPLETED' || capture?.status !== 'COMPLETED' || !capture.id) {
      return {
        kind: 'not-completed',
        status: capture?.status ?? order.status ?? 'UNKNOWN',
        reason: capture?.statusDetails?.reason ?? `PayPal order is ${order.status ?? 'unknown'}`,
      };
    }
    const currency = capture.amount?.currencyCode ?? '';
    return {
      kind: 'completed',
      captureId: capture.id,
      currency,
      amount: currency ? fromPaypalValue(capture.amount?.value ?? '0', currency) : -1,
    };
  }

  async refund(orderId: string, payment: RefundablePayment): Promise<string> {
    if (!this.payments) throw new PaymentFailedError(PAYPAL_NOT_CONFIGURED);
    if (!payment.captureReference) {
      throw new PaymentFailedError(`Order ${orderId} has no PayPal capture to refund.`);
    }
    try {
      const { result } = await this.payments.refundCapturedPayment({
        captureId: payment.captureReference,
        paypalRequestId: `order-${orderId}-refund`,
        prefer: 'return=representation',
      });
      return result.id ?? '';
    } catch (error) {
      throw new PaymentFailedError(
        'PayPal could not refund the payment; the order is unchanged. Try again in a moment.',
        { cause: error },
      );
    }
  }
}
