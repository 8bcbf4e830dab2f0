import express, { type Express } from 'express';
import type Stripe from 'stripe';
import type { Logger } from '@shop/logging';
import type { PaymentEventService } from '../domain/payment-events';

/**
 * POST /webhooks/stripe: the raw body is needed for the signature (Stripe signs the bytes it
 * sent), so this route parses it itself. A bad or missing signature is 400 and changes
 * nothing; an event that could not be applied is 500, so Stripe delivers it again.
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
        res.status(503).json({ error: 'Stripe webhooks are not configured.' });
        return;
      }
      let event: Stripe.Event;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        event = stripe.webhooks.constructEvent(body, req.headers['stripe-signature'] ?? '', secret);
      } catch (err) {
        log.warn({ err }, 'stripe webhook refused: bad signature');
        res.status(400).json({ error: 'Invalid Stripe-Signature.' });
        return;
      }
      try {
        const outcome = await events.handleStripeEvent(event);
        log.info({ eventId: event.id, type: event.type, outcome: outcome.kind }, 'stripe event');
        res.json({ received: true, outcome: outcome.kind });
      } catch (err) {
        log.error({ err, eventId: event.id }, 'stripe event could not be applied');
        res.status(500).json({ error: 'The event could not be applied; retry later.' });
      }
    },
  );
}
