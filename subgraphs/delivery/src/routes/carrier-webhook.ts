import express, { type Express } from 'express';
import { isOutage, ShopError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import { CARRIER_SIGNATURE_HEADER, carrierEventSchema, isValidSignature } from '../carrier/webhook';
import type { TrackingService } from '../services/tracking-service';
import { WritesOverloadedError } from '../services/write-queue';

export const CARRIER_WEBHOOK_PATH = '/webhooks/carrier';

/**
 * POST /webhooks/carrier: one tracking event, signed by the carrier over the raw body
 * (`X-Carrier-Signature: sha256=<hex HMAC-SHA256>`), so this route reads the bytes itself.
 *
 *   401 bad or missing signature (nothing changed)
 *   400 body is not a tracking event
 *   404 unknown tracking number (the carrier retries; a label we bought always exists first)
 *   409 the step is illegal for the shipment's status (nothing changed)
 *   200 applied, or a duplicate of an event already applied, or ignored
 *   503 too many events waiting, or the database unavailable: nothing changed; sent again
 *       after Retry-After (seconds)
 *   500 could not be applied now; the carrier delivers it again
 */
export function carrierWebhookRoute(
  app: Express,
  secret: string,
  tracking: TrackingService,
  log: Logger,
): void {
  app.post(
    CARRIER_WEBHOOK_PATH,
    express.raw({ type: () => true, limit: '64kb' }),
    async (req, res) => {
      if (!secret) {
        log.error('carrier webhook received but CARRIER_WEBHOOK_SECRET is not set');
        res.status(503).json({ error: 'Carrier webhooks are not configured.' });
        return;
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!isValidSignature(body, req.header(CARRIER_SIGNATURE_HEADER), secret)) {
        log.warn('carrier webhook refused: bad signature');
        res.status(401).json({ error: 'Invalid X-Carrier-Signature.' });
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        res.status(400).json({ error: 'The body is not JSON.' });
        return;
      }
      const parsed = carrierEventSchema.safeParse(json);
      if (!parsed.success) {
        res.status(400).json({ error: `Not a tracking event: ${parsed.error.message}` });
        return;
      }
      const event = parsed.data;
      try {
        const outcome = await tracking.carrierEvent(event);
        const logged = { eventId: event.id, trackingNumber: event.trackingNumber, ...outcome };
        switch (outcome.kind) {
          case 'unknown-tracking-number':
            log.warn(logged, 'carrier event for an unknown tracking number');
            res
              .status(404)
              .json({ error: `No shipment has tracking number ${event.trackingNumber}.` });
            return;
          case 'illegal':
            log.warn(logged, 'carrier event refused: illegal step');
            res.status(409).json({
              error: `Shipment is ${outcome.from} and cannot become ${outcome.to}.`,
              from: outcome.from,
              to: outcome.to,
            });
            return;
          default:
            log.info(logged, 'carrier event');
            res.json({ received: true, outcome: outcome.kind });
        }
      } catch (err) {
        if (err instanceof WritesOverloadedError || isOutage(err)) {
          // Nothing was written: the carrier sends the event again after Retry-After.
          const seconds = err instanceof WritesOverloadedError ? err.retryAfterSeconds : 1;
          log.warn({ err, eventId: event.id }, 'carrier event refused for now: busy or outage');
          res
            .status(503)
            .set('Retry-After', String(seconds))
            .json({ error: 'Busy; nothing was changed. Send the event again later.' });
          return;
        }
        if (err instanceof ShopError) {
          res.status(400).json({ error: err.message, ...err.extensions });
          return;
        }
        log.error({ err, eventId: event.id }, 'carrier event could not be applied');
        res.status(500).json({ error: 'The event could not be applied; retry later.' });
      }
    },
  );
}
