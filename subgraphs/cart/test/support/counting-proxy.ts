import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { asyncListener } from '@shop/test-harness';

export interface ProxiedRequest {
  /** The GraphQL request body as the cart service sent it. */
  body: { query: string; variables?: Record<string, any> };
}

/**
 * Sits between the cart service and the real products subgraph and records every request
 * that goes through, so a test can count the calls one cart operation costs.
 */
export interface CountingProxy {
  url: string;
  requests: ProxiedRequest[];
  reset(): void;
  /**
   * Holds the next `count` requests until all of them have arrived, then lets them through
   * together: every caller has read what it read before any of them goes on to write.
   */
  gate(count: number): void;
  /**
   * Holds the next request alone until `release()`: `arrived` resolves once it is held,
   * so a test can change things while a caller waits between its read and its write.
   */
  holdNext(): { arrived: Promise<void>; release(): void };
  stop(): Promise<void>;
}

export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const requests: ProxiedRequest[] = [];
  let gate: { count: number; waiting: (() => void)[] } | null = null;
  let hold: { arrive: () => void; released: Promise<void> } | null = null;
  const passGate = () =>
    new Promise<void>((resolve) => {
      if (hold) {
        const { arrive, released } = hold;
        hold = null;
        arrive();
        return void released.then(resolve);
      }
      if (!gate) return resolve();
      gate.waiting.push(resolve);
      if (gate.waiting.length === gate.count) {
        for (const release of gate.waiting) release();
        gate = null;
      }
    });
  const server = http.createServer(
    asyncListener(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      requests.push({ body: JSON.parse(raw) });
      await passGate();
      try {
        const upstream = await fetch(targetUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: raw,
        });
        res
          .writeHead(upstream.status, { 'content-type': 'application/json' })
          .end(Buffer.from(await upstream.arrayBuffer()));
      } catch (error) {
        res.writeHead(502).end(String(error));
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    reset: () => {
      requests.length = 0;
    },
    gate: (count) => {
      gate = { count, waiting: [] };
    },
    holdNext: () => {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      hold = { arrive, released };
      return { arrived, release };
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
