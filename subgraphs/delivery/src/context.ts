import DataLoader from 'dataloader';
import { isUuid, type BaseContext } from '@shop/subgraph-kit';
import type { ShipmentRecord, ShipmentStore, TrackingEventRecord } from './store/shipment';

export interface Loaders {
  /** Batches every shipment look-up of one request (entity references included) into one query. */
  shipment: DataLoader<string, ShipmentRecord | null>;
  shipmentOfOrder: DataLoader<string, ShipmentRecord | null>;
  events: DataLoader<string, TrackingEventRecord[]>;
}

export interface Context extends BaseContext {
  loaders: Loaders;
}

/**
 * `cache: false` for subscriptions: their context lives as long as the subscription, and
 * each event must read the shipment's events as they are then, not as at the first event.
 */
export function createLoaders(store: ShipmentStore, { cache = true } = {}): Loaders {
  const byKey = <K extends 'id' | 'orderId'>(key: K) =>
    new DataLoader<string, ShipmentRecord | null>(
      async (ids) => {
        const valid = ids.filter(isUuid);
        const rows = valid.length
          ? await (key === 'id' ? store.findByIds(valid) : store.findByOrderIds(valid))
          : [];
        const found = new Map(rows.map((s) => [s[key], s]));
        return ids.map((id) => found.get(id) ?? null);
      },
      { cache },
    );
  return {
    shipment: byKey('id'),
    shipmentOfOrder: byKey('orderId'),
    events: new DataLoader(
      async (shipmentIds) => {
        const rows = await store.eventsOf(shipmentIds);
        return shipmentIds.map((id) => rows.filter((e) => e.shipmentId === id));
      },
      { cache },
    ),
  };
}
