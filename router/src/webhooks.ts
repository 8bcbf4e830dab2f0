import express, { type Express } from 'express';
import { REQUEST_ID_HEADER, requestIdFrom, type Logger } from '@shop/logging';
import type { SubgraphPool } from './subgraphs';

/**
 * Webhooks that third parties post to the shop's public host, and the subgraph that owns
 * each. The router relays them byte for byte: providers sign the raw body, so parsing and
 * re-serialising it would break their signatures.
 */
export const WEBHOOKS = [
  { path: '/webhooks/stripe', subgraph: 'orders', headers: ['content-type', 'stripe-signature'] },
  {
    path: '/webhooks/carrier',
    subgraph: 'delivery',
    headers: ['content-type', 'x-carrier-signature'],
  },
] as const;

export function webhookRelay(
  app: Express,
  routingUrls: ReadonlyMap<string, string>,
  pool: SubgraphPool,
  logger: Logger,
): void {
  for (const webhook of WEBHOOKS) {
    app.post(webhook.path, express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
      const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
      const graphqlUrl = routingUrls.get(webhook.subgraph);
      if (!graphqlUrl) {
        res.status(404).json({ error: `No ${webhook.subgraph} subgraph in this supergraph.` });
        return;
      }
      const headers: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
      for (const name of webhook.headers) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      try {
        const upstream = await pool.relay(new URL(webhook.path, graphqlUrl), {
          method: 'POST',
          headers,
          body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        });
        res
          .status(upstream.status)
          .type(upstream.headers.get('content-type') ?? 'text/plain')
          .send(Buffer.from(await upstream.arrayBuffer()));
      } catch (err) {
        // The provider retries on 5xx; 502 tells it (and the on-call) the hop failed.
        logger.error({ err, requestId, webhook: webhook.path }, 'webhook relay failed');
        res.status(502).json({ error: `The ${webhook.subgraph} service is unreachable.` });
      }
    });
  }
}
