import DataLoader from 'dataloader';
import { isUuid, type BaseContext } from '@shop/subgraph-kit';
import type { OrderLineRecord, OrderRecord, OrderStore } from './store/order';

export interface Loaders {
  /** Batches every order look-up of one request (entity references included) into one query. */
  order: DataLoader<string, OrderRecord | null>;
  lines: DataLoader<string, OrderLineRecord[]>;
}

export interface Context extends BaseContext {
  loaders: Loaders;
  /**
   * The caller's bearer token as received (already verified into `identity`), forwarded to
   * cart so that cart acts for the same customer.
   */
  bearerToken?: string;
}

/** The token of an `Authorization: Bearer <token>` header (already verified by subgraph-kit). */
export function bearerTokenFrom(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

export function createLoaders(orders: OrderStore): Loaders {
  return {
    order: new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await orders.findByIds(valid) : [];
      const byId = new Map(rows.map((o) => [o.id, o]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    lines: new DataLoader(async (orderIds) => {
      const valid = orderIds.filter(isUuid);
      const rows = valid.length ? await orders.linesOf(valid) : [];
      return orderIds.map((id) => rows.filter((l) => l.orderId === id));
    }),
  };
}
