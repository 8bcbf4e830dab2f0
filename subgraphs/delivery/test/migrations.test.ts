import { migrateFreshDatabase } from '@shop/test-harness';

describe('delivery database migrations', () => {
  it('apply with prisma migrate deploy and create the tables and unique indexes', async () => {
    const migrated = await migrateFreshDatabase('delivery');
    expect(migrated.allFinished).toBe(true);
    expect(migrated.tables).toEqual([
      '_prisma_migrations',
      'outbox',
      'shipments',
      'tracking_events',
    ]);
    // One shipment per order, webhooks by tracking number, each carrier event once.
    expect(migrated.indexes).toMatch(/UNIQUE INDEX .* ON public\.shipments .*\(order_id\)/);
    expect(migrated.indexes).toMatch(/UNIQUE INDEX .* ON public\.shipments .*\(tracking_number\)/);
    expect(migrated.indexes).toMatch(
      /UNIQUE INDEX .* ON public\.tracking_events .*\(external_event_id\)/,
    );
    expect(migrated.indexes).toMatch(/INDEX .* ON public\.outbox .*\(published_at, created_at\)/);
  }, 60_000);
});
