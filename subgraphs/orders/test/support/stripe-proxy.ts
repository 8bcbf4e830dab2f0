import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { asyncListener } from '@shop/test-harness';

/**
 * A pass-through proxy in front of stripe-mock that counts the requests the orders service
 * makes (stripe-mock answers every create with a new id and ignores idempotency keys, so
 * counting at the wire is how a test proves "one PaymentIntent"). `failing` makes it answer
 * 503 like a Stripe outage.
 */
export interface StripeProxy {
  /** Base URL for STRIPE_API_URL. */
  url: string;
  /** Method and path of every request that reached the proxy. */
  requests: { method: string; path: string; idempotencyKey?: string }[];
  paymentIntentCreates(): number;
  failing: boolean;
  stop(): Promise<void>;
}

export async function startStripeProxy(target = 'http://127.0.0.1:12111'): Promise<StripeProxy> {
  const proxy: StripeProxy = {
    url: '',
    requests: [],
    failing: false,
    paymentIntentCreates: () =>
      proxy.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents').length,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  const server = http.createServer(
    asyncListener(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const key = req.headers['idempotency-key'];
      proxy.requests.push({
        method: req.method ?? 'GET',
        path: (req.url ?? '').split('?')[0]!,
        idempotencyKey: typeof key === 'string' ? key : undefined,
      });
      if (proxy.failing) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: 'Stripe is down (test)' } }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'connection')
          headers[name] = value;
      }
      try {
        const upstream = await fetch(`${target}${req.url}`, {
          method: req.method,
          headers,
          body: ['GET', 'HEAD'].includes(req.method ?? 'GET') ? undefined : Buffer.concat(chunks),
        });
        res.writeHead(upstream.status, { 'content-type': 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      } catch (error) {
        res.writeHead(502).end(String(error));
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
