import {
  createEmptyDatabase,
  migrateDeploy,
  queryDatabase,
  type TestDatabase,
} from '@shop/test-harness';

describe('orders database migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase('migrate_orders');
  });
  afterAll(() => db.drop());

  it('apply with prisma migrate deploy and create the tables and unique indexes', async () => {
    const output = await migrateDeploy('orders', db.url);
    expect(output).toMatch(/applied|No pending migrations/i);

    const tables = await queryDatabase<{ table_name: string }>(
      db.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      '_prisma_migrations',
      'order_lines',
      'order_status_history',
      'orders',
      'outbox',
      'payments',
      'processed_webhook_events',
    ]);

    // Idempotent checkout and once-only webhooks rest on these.
    const indexes = await queryDatabase<{ indexdef: string }>(
      db.url,
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
    );
    const defs = indexes.map((i) => i.indexdef).join('\n');
    expect(defs).toMatch(/UNIQUE INDEX .* ON public\.orders .*\(user_id, idempotency_key\)/);
    expect(defs).toMatch(/UNIQUE INDEX .* ON public\.payments .*\(provider_reference\)/);
    expect(defs).toMatch(/UNIQUE INDEX processed_webhook_events_pkey .*\(id\)/);
  }, 60_000);
});
