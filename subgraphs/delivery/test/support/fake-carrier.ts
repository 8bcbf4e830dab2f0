import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { asyncListener } from '@shop/test-harness';

/** One POST /v1/labels the fake carrier received. */
export interface LabelCall {
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  body: {
    reference: string;
    shipmentId: string;
    service: string;
    recipient: Record<string, unknown>;
  };
  status: number;
}

/** One POST /v1/labels/{trackingNumber}/void the fake carrier received. */
export interface VoidCall {
  trackingNumber: string;
  idempotencyKey: string | undefined;
  status: number;
}

/**
 * A local stand-in for the carrier's label API (test code only), following the contract of
 * src/carrier/carrier.ts: bearer API key, Idempotency-Key answered with the first label,
 * labels voided until the parcel is scanned, and failures on demand. It records every call.
 */
export interface FakeCarrier {
  url: string;
  apiKey: string;
  calls: LabelCall[];
  voids: VoidCall[];
  /** Tracking numbers of the labels voided. */
  voided: Set<string>;
  /** The next `times` calls answer `status` (e.g. 503, or 422 for a refusal). */
  failNext(times: number, status: number): void;
  /** Fields the next label answer carries instead of the label's own (once). */
  garbleNext: Record<string, unknown> | null;
  /** The parcel was scanned: its label can no longer be voided (409). */
  scan(trackingNumber: string): void;
  /**
   * Runs while a label purchase is being answered, after the label exists at the carrier
   * and before delivery hears of it: where a test stages what happens in between.
   */
  onLabel: ((call: LabelCall['body'], trackingNumber: string) => Promise<void> | void) | null;
  stop(): Promise<void>;
}

export async function startFakeCarrier(
  apiKey = 'carrier-test-key',
  port = 0,
): Promise<FakeCarrier> {
  const calls: LabelCall[] = [];
  const voids: VoidCall[] = [];
  const labels = new Map<string, { carrier: string; trackingNumber: string; labelUrl: string }>();
  const sold = new Set<string>();
  const voided = new Set<string>();
  const scanned = new Set<string>();
  const failures: number[] = [];
  const server = http.createServer(
    asyncListener(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const voidOf = /^\/v1\/labels\/([^/]+)\/void$/.exec(req.url ?? '');
      const send = (status: number, body: object) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const reply = (status: number, body: object) => {
        const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
        if (voidOf) {
          voids.push({ trackingNumber: decodeURIComponent(voidOf[1]!), idempotencyKey, status });
        } else {
          calls.push({
            authorization: req.headers.authorization,
            idempotencyKey,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
            status,
          });
        }
        send(status, body);
      };
      if (req.method !== 'POST' || (req.url !== '/v1/labels' && !voidOf))
        return reply(404, { error: 'no route' });
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        return reply(401, { error: 'invalid API key' });
      }
      const failure = failures.shift();
      if (failure) return reply(failure, { error: `simulated ${failure}` });
      const key = String(req.headers['idempotency-key'] ?? '');
      if (!key) return reply(400, { error: 'Idempotency-Key is required' });
      if (voidOf) {
        const trackingNumber = decodeURIComponent(voidOf[1]!);
        if (!sold.has(trackingNumber)) return reply(404, { error: 'no such label' });
        if (scanned.has(trackingNumber)) {
          return reply(409, { error: 'the parcel was scanned; the label cannot be voided' });
        }
        voided.add(trackingNumber);
        return reply(200, { trackingNumber, status: 'VOIDED' });
      }
      let label = labels.get(key);
      if (!label) {
        const trackingNumber = `ACME${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
        label = {
          carrier: 'ACME Parcel',
          trackingNumber,
          labelUrl: `https://labels.acme.example/${trackingNumber}.pdf`,
        };
        labels.set(key, label);
        sold.add(trackingNumber);
      }
      const hook = fake.onLabel;
      if (hook)
        await hook(JSON.parse(Buffer.concat(chunks).toString('utf8')), label.trackingNumber);
      const garbled = fake.garbleNext;
      fake.garbleNext = null;
      reply(201, { ...label, ...garbled });
    }),
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  const fake: FakeCarrier = {
    url: `http://127.0.0.1:${bound}`,
    apiKey,
    calls,
    voids,
    voided,
    onLabel: null,
    garbleNext: null,
    failNext: (times, status) => failures.push(...Array.from({ length: times }, () => status)),
    scan: (trackingNumber) => scanned.add(trackingNumber),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return fake;
}
