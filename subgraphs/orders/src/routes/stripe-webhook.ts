import express, { type Express, type Response } from 'express';
import type Stripe from 'stripe';
import { isOutage } from '@shop/errors';
import type { Logger } from '@shop/logging';
import type { PaymentEventService } from '../services/payment-events';

/**
 * Why a webhook was refused, in every refusal's `code`: stable, so that whoever reads the
 * delivery log in Stripe's dashboard (or a monitor) can tell the cases apart without parsing
 * messages.
 */
export const WebhookRefusal = {
  NOT_CONFIGURED: 'WEBHOOK_NOT_CONFIGURED',
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  /** Correctly signed, yet not a Stripe event this service can read. */
  MALFORMED_EVENT: 'MALFORMED_EVENT',
  /** The orders database is unreachable: nothing was applied; Stripe delivers it again. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

/** Stripe ids and event types: short printable ASCII (they are stored and used as keys). */
const isToken = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 255 && /^[\x21-\x7e]+$/.test(v);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isAmount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * What is wrong with a signed body as a Stripe event, or null when it has every field the
 * event's handler reads with the type it reads it as. A signed body is Stripe's, but a
 * signature proves only who sent the bytes: a shape the handlers do not expect must be a
 * 400 that writes nothing, not a crash halfway through a transaction.
 */
export function problemWithStripeEvent(event: unknown): string | null {
  if (!isRecord(event)) return 'the body is not a JSON object';
  if (!isToken(event.id)) return '"id" must be a Stripe event id';
  if (!isToken(event.type)) return '"type" must be an event type';
  if (!isRecord(event.data) || !isRecord(event.data.object)) {
    return '"data.object" must be an object';
  }
  const object = event.data.object;
  switch (event.type) {
    case 'payment_intent.succeeded':
      if (!isToken(object.id)) return 'the PaymentIntent has no id';
      if (!isAmount(object.amount)) return 'the PaymentIntent amount is not a whole number';
      if (typeof object.currency !== 'string') return 'the PaymentIntent has no currency';
      return null;
    case 'payment_intent.payment_failed': {
      if (!isToken(object.id)) return 'the PaymentIntent has no id';
      const lastError = object.last_payment_error;
      if (lastError === null || lastError === undefined) return null;
      if (!isRecord(lastError)) return '"last_payment_error" must be an object';
      const message = lastError.message;
      if (message !== undefined && message !== null && typeof message !== 'string') {
        return '"last_payment_error.message" must be a string';
      }
      // PostgreSQL text cannot hold NUL; the message is stored with the payment.
      if (typeof message === 'string' && message.includes('\u0000')) {
        return '"last_payment_error.message" contains a NUL character';
      }
      return null;
    }
    case 'charge.refunded': {
      if (!isToken(object.id)) return 'the charge has no id';
      if (!isAmount(object.amount_refunded)) return 'the refunded amount is not a whole number';
      const intent = object.payment_intent;
      const intentOk =
        intent === null ||
        intent === undefined ||
        isToken(intent) ||
        (isRecord(intent) && isToken(intent.id));
      return intentOk ? null : '"payment_intent" must be a PaymentIntent id';
    }
    default:
      return null;
  }
}

function refuse(res: Response, status: number, code: string, error: string): void {
  res.status(status).json({ error, code });
}

/**
 * POST /webhooks/stripe: the raw body is needed for the signature (Stripe signs the bytes it
 * sent), so this route parses it itself. A bad or missing signature, or a signed body that
 * is not an event this service can read, is 400 and changes nothing; an event that could
 * not be applied is 5xx, so Stripe delivers it again.
 */
export function stripeWebhookRoute(
  app: Express,
  stripe: Stripe,
  secret: string,
  events: PaymentEventService,
  log: Logger,
): void {
  app.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: '1mb' }),
    async (req, res) => {
      if (!secret) {
        log.error('stripe webhook received but STRIPE_WEBHOOK_SECRET is not set');
        refuse(res, 503, WebhookRefusal.NOT_CONFIGURED, 'Stripe webhooks are not configured.');
        return;
      }
      let event: unknown;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        event = stripe.webhooks.constructEvent(body, req.headers['stripe-signature'] ?? '', secret);
      } catch (err) {
        // The signature is checked before the body is parsed: anything else failing here
        // (not JSON, a thin event) comes from a correctly signed body.
        if ((err as { type?: unknown }).type === 'StripeSignatureVerificationError') {
          log.warn({ err }, 'stripe webhook refused: bad signature');
          refuse(res, 400, WebhookRefusal.INVALID_SIGNATURE, 'Invalid Stripe-Signature.');
        } else {
          log.warn({ err }, 'stripe webhook refused: signed body is not a Stripe event');
          refuse(res, 400, WebhookRefusal.MALFORMED_EVENT, 'The body is not a Stripe event.');
        }
        return;
      }
      const problem = problemWithStripeEvent(event);
      if (problem) {
        const { id, type } = isRecord(event) ? event : {};
        log.warn(
          {
            problem,
            eventId: isToken(id) ? id : undefined,
            type: isToken(type) ? type : undefined,
          },
          'stripe webhook refused: signed body is not a Stripe event',
        );
        refuse(res, 400, WebhookRefusal.MALFORMED_EVENT, `Not a Stripe event: ${problem}.`);
        return;
      }
      const valid = event as Stripe.Event;
      try {
        const outcome = await events.handleStripeEvent(valid);
        log.info({ eventId: valid.id, type: valid.type, outcome: outcome.kind }, 'stripe event');
        res.json({ received: true, outcome: outcome.kind });
      } catch (err) {
        if (isOutage(err)) {
          log.warn({ err, eventId: valid.id }, 'stripe event not applied: a store is unavailable');
          refuse(
            res,
            503,
            WebhookRefusal.SERVICE_UNAVAILABLE,
            'The event could not be applied now; retry later.',
          );
          return;
        }
        log.error({ err, eventId: valid.id }, 'stripe event could not be applied');
        refuse(
          res,
          500,
          WebhookRefusal.INTERNAL_SERVER_ERROR,
          'The event could not be applied; retry later.',
        );
      }
    },
  );
}
