import { jobId, JobName, QueueName, Queues } from '@shop/queues';
import { errorCodes, graphql, queryDatabase, waitFor } from '@shop/test-harness';
import { newCustomer, REGISTER } from './support/operations';
import { ADMIN, startUsersFixture, type UsersFixture } from './support/users-service';

// A new account is announced as user.registered (the welcome message) through the outbox:
// the row is written with the account, and the relay publishes it to the notifications queue.
let users: UsersFixture;
let queues: Queues;
beforeAll(async () => {
  users = await startUsersFixture();
  queues = new Queues({ redisUrl: users.config.REDIS_URL, prefix: users.config.QUEUE_PREFIX });
}, 60_000);
afterAll(async () => {
  await queues?.close();
  await users?.stop();
});

const register = (input: Record<string, unknown>) =>
  graphql<Record<string, any>>(users.service.url, REGISTER, { input });

interface OutboxRow {
  id: string;
  topic: string;
  payload: { userId: string };
  published_at: Date | null;
}
const outboxRows = () =>
  queryDatabase<OutboxRow>(
    users.db.url,
    'SELECT id::text, topic, payload, published_at FROM outbox ORDER BY created_at',
  );

describe('user.registered', () => {
  it('is published once to the notifications queue for a new account', async () => {
    const res = await register(newCustomer());
    expect(res.errors).toBeUndefined();
    const userId = res.data!.register.user.id as string;

    const row = await waitFor(
      async () =>
        (await outboxRows()).find((r) => r.payload.userId === userId && r.published_at !== null),
      { what: 'the published outbox row' },
    );
    expect(row.topic).toBe(JobName.USER_REGISTERED);

    const job = await queues
      .queue(QueueName.NOTIFICATIONS)
      .getJob(jobId(JobName.USER_REGISTERED, row.id));
    expect(job).toMatchObject({ name: 'user.registered', data: { userId } });
  });

  it('is not written when the registration fails, nor for the first administrator', async () => {
    const input = newCustomer();
    expect((await register(input)).errors).toBeUndefined();
    const before = await outboxRows();

    const taken = await register({ ...input, name: 'Someone Else' });
    expect(errorCodes(taken)).toEqual(['CONFLICT']);
    const invalid = await register(newCustomer({ password: 'short' }));
    expect(errorCodes(invalid)).toEqual(['BAD_USER_INPUT']);

    const after = await outboxRows();
    expect(after).toHaveLength(before.length);
    // ensureAdmin created the administrator at start-up without a welcome event.
    const [admin] = await queryDatabase<{ id: string }>(
      users.db.url,
      'SELECT id::text FROM users WHERE email = $1',
      [ADMIN.email],
    );
    expect(after.map((r) => r.payload.userId)).not.toContain(admin!.id);
  });
});
