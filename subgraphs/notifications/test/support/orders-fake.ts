import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { remoteJwks, Scope, TokenVerifier } from '@shop/auth';
import { SERVICE_TOKEN_AUDIENCE } from '@shop/config';
import type { OrderSummary } from '../../src/store/subgraphs';
import { asyncListener } from '@shop/test-harness';

/**
 * A stand-in for the orders subgraph's `order(id)` as a service token holding orders:read
 * sees it (the real orders service needs products, cart and Stripe to hold an order). The
 * token is verified against the real users service's keys, like orders does.
 */
export interface OrdersFake {
  url: string;
  orders: Map<string, OrderSummary>;
  /** How many order look-ups were answered. */
  calls: number;
  stop(): Promise<void>;
}

export async function startOrdersFake(auth: {
  jwksUrl: string;
  issuer: string;
  audience: string;
}): Promise<OrdersFake> {
  // Like orders, it accepts service tokens, which carry the service audience.
  const verifier = new TokenVerifier({
    ...auth,
    audience: [auth.audience, SERVICE_TOKEN_AUDIENCE],
    keys: remoteJwks(auth.jwksUrl),
  });
  const fake = { orders: new Map<string, OrderSummary>(), calls: 0 } as OrdersFake;
  const server = http.createServer(
    asyncListener(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const reply = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const identity = await verifier
        .fromAuthorizationHeader(req.headers.authorization)
        .catch(() => null);
      if (identity?.kind !== 'service' || !identity.scopes.includes(Scope.ORDERS_READ)) {
        return reply({ errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] });
      }
      const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        variables: { id: string };
      };
      fake.calls += 1;
      const order = fake.orders.get(variables.id);
      if (!order) {
        return reply({
          data: { order: null },
          errors: [
            { message: `Order ${variables.id} was not found.`, extensions: { code: 'NOT_FOUND' } },
          ],
        });
      }
      reply({ data: { order } });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}/graphql`;
  fake.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}
