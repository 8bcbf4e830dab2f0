import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

/**
 * A local stand-in for the carrier's label API (test code only), following the contract of
 * src/carrier/carrier.ts: bearer API key, Idempotency-Key answered with the first label, and
 * failures on demand. It records every call.
 */
export interface FakeCarrier {
  url: string;
  apiKey: string;
  calls: LabelCall[];
  /** The next `times` calls answer `status` (e.g. 503, or 422 for a refusal). */
  failNext(times: number, status: number): void;
  stop(): Promise<void>;
}

export async function startFakeCarrier(
  apiKey = 'carrier-test-key',
  port = 0,
): Promise<FakeCarrier> {
  const calls: LabelCall[] = [];
  const labels = new Map<string, object>();
  const failures: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: object) => {
        calls.push({
          authorization: req.headers.authorization,
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
          status,
        });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v1/labels')
        return reply(404, { error: 'no route' });
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        return reply(401, { error: 'invalid API key' });
      }
      const failure = failures.shift();
      if (failure) return reply(failure, { error: `simulated ${failure}` });
      const key = String(req.headers['idempotency-key'] ?? '');
      if (!key) return reply(400, { error: 'Idempotency-Key is required' });
      let label = labels.get(key);
      if (!label) {
        const trackingNumber = `ACME${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
        label = {
          carrier: 'ACME Parcel',
          trackingNumber,
          labelUrl: `https://labels.acme.example/${trackingNumber}.pdf`,
        };
        labels.set(key, label);
      }
      reply(201, label);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    apiKey,
    calls,
    failNext: (times, status) => failures.push(...Array.from({ length: times }, () => status)),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
