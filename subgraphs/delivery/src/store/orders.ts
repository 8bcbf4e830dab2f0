import { ErrorCode, ShopError } from '@shop/errors';
import { UpstreamUnavailableError, type SubgraphClient } from '@shop/subgraph-client';
import type { Recipient } from '../carrier/carrier';

const OWNER = 'query OrderOwner($id: ID!) { order(id: $id) { id customer { id } } }';
const ADDRESS = `query OrderShippingAddress($id: ID!) {
  order(id: $id) { id status shippingAddress { line1 line2 city postalCode country } }
}`;

/**
 * Reads orders from the orders subgraph with this service's client-credentials token
 * (scope orders:read). orders answers NOT_FOUND for an unknown order, which is null here;
 * orders down, slow or refusing the look-up is UpstreamUnavailableError.
 */
export class OrdersClient {
  constructor(private readonly client: SubgraphClient) {}

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

  close(): Promise<void> {
    return this.client.close();
  }

  private async order<T>(query: string, id: string): Promise<T | null> {
    try {
      const data = await this.client.data<{ order: T | null }>(query, { id }, { auth: 'service' });
      return data.order;
    } catch (error) {
      if (!(error instanceof ShopError)) throw error;
      if (error.code === ErrorCode.NOT_FOUND) return null;
      // Anything else orders says about our own look-up (our token refused even after a
      // fresh one, say) is not the subscriber's to act on.
      throw new UpstreamUnavailableError(
        `orders refused the look-up of order ${id}: ${error.message} (${error.code})`,
        { cause: error },
      );
    }
  }
}
