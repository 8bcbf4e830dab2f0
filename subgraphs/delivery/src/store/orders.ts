import type { ServiceTokenClient } from '@shop/auth';
import { ErrorCode } from '@shop/errors';
import type { Recipient } from '../carrier/carrier';

/** orders could not be reached or answered nonsense; masked for the client, logged here. */
export class OrdersUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrdersUnavailableError';
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const OWNER = 'query OrderOwner($id: ID!) { order(id: $id) { id customer { id } } }';
const ADDRESS = `query OrderShippingAddress($id: ID!) {
  order(id: $id) { id status shippingAddress { line1 line2 city postalCode country } }
}`;

/**
 * Reads orders from the orders subgraph with this service's client-credentials token
 * (scope orders:read). orders answers NOT_FOUND for an unknown order, which is null here.
 */
export class OrdersClient {
  constructor(
    private readonly url: string,
    private readonly tokens: ServiceTokenClient,
    private readonly timeoutMs: number,
  ) {}

  /** The customer who placed the order, or null when orders knows no such order. */
  async ownerOf(orderId: string): Promise<string | null> {
    const data = await this.order<{ customer: { id: string } }>(OWNER, orderId);
    return data?.customer.id ?? null;
  }

  /** Where the order is shipped and its status now, or null when orders knows no such order. */
  async shippingOf(orderId: string): Promise<{ recipient: Recipient; status: string } | null> {
    const data = await this.order<{ shippingAddress: Recipient; status: string }>(ADDRESS, orderId);
    return data ? { recipient: data.shippingAddress, status: data.status } : null;
  }

  private async order<T>(query: string, id: string): Promise<T | null> {
    // A 401 (the token expired early, or the issuer rotated its keys) gets one fresh token.
    for (let attempt = 0; ; attempt++) {
      const body = await this.post<{ order: T | null }>(query, { id }, await this.tokens.token());
      const code = body.errors?.[0]?.extensions?.code;
      if (code === ErrorCode.UNAUTHENTICATED && attempt === 0) {
        this.tokens.invalidate();
        continue;
      }
      if (code === ErrorCode.NOT_FOUND) return null;
      if (body.errors?.length) {
        throw new OrdersUnavailableError(
          `orders refused the look-up of order ${id}: ${body.errors[0]!.message} (${code ?? 'no code'})`,
        );
      }
      return body.data?.order ?? null;
    }
  }

  private async post<T>(
    query: string,
    variables: Record<string, unknown>,
    token: string,
  ): Promise<GraphQLBody<T>> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return (await response.json()) as GraphQLBody<T>;
    } catch (error) {
      throw new OrdersUnavailableError(
        `orders at ${this.url} is unreachable: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
