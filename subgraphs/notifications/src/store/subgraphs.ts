import type { ServiceTokenClient } from '@shop/auth';
import type { Money } from '@shop/money';
import { Agent, fetch } from 'undici';

/**
 * The users and orders subgraphs, called with this service's client-credentials token
 * (users:read, orders:read). Failures here are temporary (the job is retried), except a
 * user or order that does not exist (MissingRecordError).
 */
export class MissingRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingRecordError';
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One pooled HTTP client per subgraph; a 401-style answer gets one retry with a fresh token. */
export class SubgraphClient {
  private readonly agent = new Agent({ connections: 8 });

  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly tokens: ServiceTokenClient,
    private readonly timeoutMs: number,
  ) {}

  async query<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.token();
      const response = await fetch(this.url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json().catch(() => {
        throw new Error(`${this.name} answered HTTP ${response.status} without a GraphQL response`);
      })) as GraphQLBody<T>;
      const first = body.errors?.[0];
      if (first?.extensions?.code === 'UNAUTHENTICATED' && attempt === 0) {
        // The token expired early or the issuer rotated its keys.
        this.tokens.invalidate();
        continue;
      }
      if (first?.extensions?.code === 'NOT_FOUND') throw new MissingRecordError(first.message);
      if (first) {
        throw new Error(
          `${this.name} failed: ${first.message} (${first.extensions?.code ?? 'no code'})`,
        );
      }
      if (!body.data) throw new Error(`${this.name} answered without data`);
      return body.data;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export interface Recipient {
  id: string;
  email: string;
  name: string;
  phone: string | null;
}

// Users answers private fields of a User entity to a service token holding users:read
// (Query.user is for signed-in users only).
const RECIPIENT = `query NotificationRecipient($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id email name phone } }
}`;

export class UsersDirectory {
  constructor(private readonly client: SubgraphClient) {}

  async recipient(userId: string): Promise<Recipient> {
    const data = await this.client.query<{ _entities: (Recipient | null)[] }>(RECIPIENT, {
      representations: [{ __typename: 'User', id: userId }],
    });
    const user = data._entities[0];
    if (!user) throw new MissingRecordError(`user ${userId} does not exist`);
    return user;
  }
}

export interface OrderSummary {
  id: string;
  total: Money;
  lines: { name: string; quantity: number; unitPrice: Money; lineTotal: Money }[];
}

const ORDER = `query NotificationOrder($id: ID!) {
  order(id: $id) {
    id
    total { amount currency }
    lines { name quantity unitPrice { amount currency } lineTotal { amount currency } }
  }
}`;

export class OrdersDirectory {
  constructor(private readonly client: SubgraphClient) {}

  async order(orderId: string): Promise<OrderSummary> {
    const data = await this.client.query<{ order: OrderSummary | null }>(ORDER, { id: orderId });
    if (!data.order) throw new MissingRecordError(`order ${orderId} does not exist`);
    return data.order;
  }
}
