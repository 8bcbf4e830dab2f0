import { migrateFreshDatabase } from '@shop/test-harness';

describe('users database migrations', () => {
  it('apply with prisma migrate deploy and create the tables', async () => {
    const migrated = await migrateFreshDatabase('users');
    expect(migrated.allFinished).toBe(true);
    expect(migrated.tables).toEqual([
      '_prisma_migrations',
      'addresses',
      'outbox',
      'refresh_tokens',
      'users',
    ]);
    // The case-insensitive uniqueness of e-mails rests on this index.
    expect(migrated.indexes).toMatch(/UNIQUE INDEX .* ON public\.users .*\(email\)/);
    // The outbox relay claims unpublished rows oldest first through this index.
    expect(migrated.indexes).toMatch(/INDEX .* ON public\.outbox .*\(published_at, created_at\)/);
  }, 60_000);
});
