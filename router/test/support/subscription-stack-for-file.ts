import type { TestRouter } from './stack';
import {
  connect,
  startSubscriptionStack,
  type ConnectOptions,
  type SubscriptionStack,
  type TestClient,
} from './subscriptions';

/** A test file's subscription stack, with clients that last as long as the test that made them. */
export interface SubscriptionStackForFile extends Omit<SubscriptionStack, 'stop'> {
  /** Connects to `router` as `connect` does; the client is disposed after the test. */
  connect(router: TestRouter, options?: ConnectOptions): TestClient;
}

/**
 * Starts a subscription stack for the calling test file (beforeAll) and stops it afterwards.
 * Clients of its `connect` are disposed after each test, before the file's own afterEach
 * hooks run: jest runs them in the order they were added, and this one is added first.
 * The stack's parts are getters, to be read inside tests and hooks once the stack runs.
 */
export function subscriptionStackForFile(
  environment: Record<string, string> = {},
): SubscriptionStackForFile {
  let started: SubscriptionStack | undefined;
  const clients: TestClient[] = [];
  const running = (): SubscriptionStack => {
    if (!started) throw new Error('the subscription stack starts in beforeAll; read it in a test');
    return started;
  };
  beforeAll(async () => {
    started = await startSubscriptionStack(environment);
  });
  afterEach(async () => {
    for (const { client } of clients.splice(0)) await client.dispose();
  });
  afterAll(() => started?.stop());
  return {
    get tokens() {
      return running().tokens;
    },
    get tracking() {
      return running().tracking;
    },
    get orders() {
      return running().orders;
    },
    get router() {
      return running().router;
    },
    startRouter: (extra) => running().startRouter(extra),
    connect: (router, options) => {
      const client = connect(router, options);
      clients.push(client);
      return client;
    },
  };
}
