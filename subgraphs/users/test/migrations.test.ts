import { migrateFreshDatabase } from '@shop/test-harness';

describe('users database migrations', () => {
  it('apply with prisma migrate deploy and create the tables', async () => {
    const migrated = await migrateFreshDatabase('users');
    expect(migrated.allFinished).toBe(true);
    expect(migrated.tables).toEqual(['_prisma_migrations', 'addresses', 'refresh_tokens', 'users']);
    // The case-insensitive uniqueness of e-mails rests on this index.
    expect(migrated.indexes).toMatch(/UNIQUE INDEX .* ON public\.users .*\(email\)/);
  }, 60_000);
});
