import {
  createEmptyDatabase,
  migrateDeploy,
  queryDatabase,
  type TestDatabase,
} from '@shop/test-harness';

describe('users database migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase('migrate_users');
  });
  afterAll(() => db.drop());

  it('apply with prisma migrate deploy and create the tables', async () => {
    const output = await migrateDeploy('users', db.url);
    expect(output).toMatch(/applied|No pending migrations/i);

    const tables = await queryDatabase<{ table_name: string }>(
      db.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      '_prisma_migrations',
      'addresses',
      'refresh_tokens',
      'users',
    ]);

    const applied = await queryDatabase<{ finished: boolean }>(
      db.url,
      'SELECT finished_at IS NOT NULL AS finished FROM _prisma_migrations',
    );
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.every((m) => m.finished)).toBe(true);

    // The case-insensitive uniqueness of e-mails rests on this index.
    const indexes = await queryDatabase<{ indexdef: string }>(
      db.url,
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'users'",
    );
    expect(indexes.map((i) => i.indexdef).join('\n')).toMatch(/UNIQUE INDEX .* \(email\)/);
  }, 60_000);
});
