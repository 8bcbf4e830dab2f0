import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from '@shop/config';
import { DELIVERY_STATUSES } from '../domain/shipment-status';
import { carrierKey } from './carrier';

/** The header the carrier signs its webhooks in: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const CARRIER_SIGNATURE_HEADER = 'x-carrier-signature';

/**
 * Whether `header` is the HMAC-SHA256 of the exact bytes received, keyed with the shared
 * secret. Compared in constant time, so the response time says nothing about how much of a
 * forged signature was right.
 */
export function isValidSignature(
  rawBody: Buffer,
  header: string | undefined,
  secret: string,
): boolean {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header?.trim() ?? '');
  if (!match || !secret) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1]!, 'hex'));
}

/**
 * One tracking event as the carrier posts it to POST /webhooks/carrier. Its free text
 * (location, note) is cleaned rather than refused: see cleanCarrierText.
 */
export const carrierEventSchema = z.object({
  /** The carrier's event id; the same id is applied once. */
  id: carrierKey(200),
  trackingNumber: carrierKey(100),
  status: z.enum(DELIVERY_STATUSES),
  location: z.string().nullish(),
  note: z.string().nullish(),
  /** ISO 8601 with a time zone. */
  occurredAt: z.iso.datetime({ offset: true }),
});
export type CarrierEvent = z.infer<typeof carrierEventSchema>;
