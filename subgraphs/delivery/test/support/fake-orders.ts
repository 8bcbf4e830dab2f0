import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { remoteJwks, Scope, TokenVerifier } from '@shop/auth';
import type { TokenIssuer } from '@shop/test-harness';
import { asyncListener } from '@shop/test-harness';

/**
 * What delivery needs of the users and orders services, in test code: the client-credentials
 * token endpoint (tokens signed by the test token issuer) and orders' `order(id)` query for
 * service tokens with orders:read, answering NOT_FOUND for unknown orders as orders does.
 * e2e tests run delivery against the real services instead.
 */
export interface FakeOrders {
  tokenUrl: string;
  ordersUrl: string;
  /** Registers an order orders would know (PAID unless said otherwise). */
  addOrder(order: { id?: string; customerId: string; status?: string }): string;
  /** The order changes status in orders (e.g. the customer cancelled it). */
  setStatus(id: string, status: string): void;
  /** Every order(id) query received, in order, with the operation's name. */
  lookups: { operation: string; id: string }[];
  /** Runs before a look-up is answered (with the order as it is after the hook). */
  onLookup: ((lookup: { operation: string; id: string }) => Promise<void> | void) | null;
  stop(): Promise<void>;
}

export const SHIPPING_ADDRESS = {
  line1: 'Main Street 1',
  line2: null,
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
};

export async function startFakeOrders(
  issuer: TokenIssuer,
  client: { id: string; secret: string },
): Promise<FakeOrders> {
  const orders = new Map<string, { customerId: string; status: string }>();
  const lookups: FakeOrders['lookups'] = [];
  const verifier = new TokenVerifier({
    issuer: issuer.issuer,
    audience: [issuer.audience, issuer.serviceAudience],
    keys: remoteJwks(issuer.jwksUrl),
  });
  const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

  const server = http.createServer(
    asyncListener(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const json = (status: number, body: object) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/oauth/token') {
        if (req.headers.authorization !== basic) return json(401, { error: 'invalid_client' });
        return json(200, {
          access_token: issuer.serviceToken(client.id, [Scope.ORDERS_READ]),
          token_type: 'Bearer',
          expires_in: 600,
        });
      }
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables: { id: string };
      };
      const identity = await verifier
        .fromAuthorizationHeader(req.headers.authorization)
        .catch(() => null);
      if (identity?.kind !== 'service' || !identity.scopes.includes(Scope.ORDERS_READ)) {
        return json(200, { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] });
      }
      const lookup = { operation: /query (\w+)/.exec(query)?.[1] ?? '', id: variables.id };
      lookups.push(lookup);
      await fake.onLookup?.(lookup);
      const order = orders.get(variables.id);
      if (!order) {
        return json(200, {
          data: { order: null },
          errors: [
            { message: `Order ${variables.id} was not found.`, extensions: { code: 'NOT_FOUND' } },
          ],
        });
      }
      json(200, {
        data: {
          order: {
            id: variables.id,
            status: order.status,
            customer: { id: order.customerId },
            shippingAddress: SHIPPING_ADDRESS,
          },
        },
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeOrders = {
    onLookup: null,
    tokenUrl: `http://127.0.0.1:${port}/oauth/token`,
    ordersUrl: `http://127.0.0.1:${port}/graphql`,
    addOrder: ({ id = randomUUID(), customerId, status = 'PAID' }) => {
      orders.set(id, { customerId, status });
      return id;
    },
    setStatus: (id, status) => {
      orders.get(id)!.status = status;
    },
    lookups,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return fake;
}
