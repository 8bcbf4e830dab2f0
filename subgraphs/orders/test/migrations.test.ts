import { migrateFreshDatabase } from '@shop/test-harness';

describe('orders database migrations', () => {
  it('apply with prisma migrate deploy and create the tables and unique indexes', async () => {
    const migrated = await migrateFreshDatabase('orders');
    expect(migrated.allFinished).toBe(true);
    expect(migrated.tables).toEqual([
      '_prisma_migrations',
      'order_lines',
      'order_status_history',
      'orders',
      'outbox',
      'payments',
      'processed_webhook_events',
    ]);
    // Idempotent checkout and once-only webhooks rest on these.
    expect(migrated.indexes).toMatch(
      /UNIQUE INDEX .* ON public\.orders .*\(user_id, idempotency_key\)/,
    );
    expect(migrated.indexes).toMatch(
      /UNIQUE INDEX .* ON public\.payments .*\(provider_reference\)/,
    );
    expect(migrated.indexes).toMatch(/UNIQUE INDEX processed_webhook_events_pkey .*\(id\)/);
  }, 60_000);
});
