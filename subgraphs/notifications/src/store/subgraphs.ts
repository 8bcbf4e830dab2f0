import { ErrorCode, type ShopError } from '@shop/errors';
import type { Money } from '@shop/money';
import type { SubgraphClient } from '@shop/subgraph-client';

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
    const [user] = await this.client.entities<Recipient>(
      RECIPIENT,
      [{ __typename: 'User', id: userId }],
      { auth: 'service' },
    );
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
    const data = await this.client
      .data<{ order: OrderSummary | null }>(ORDER, { id: orderId }, { auth: 'service' })
      .catch((error: unknown) => {
        if ((error as ShopError).code === ErrorCode.NOT_FOUND) {
          throw new MissingRecordError((error as ShopError).message);
        }
        throw error;
      });
    if (!data.order) throw new MissingRecordError(`order ${orderId} does not exist`);
    return data.order;
  }
}
