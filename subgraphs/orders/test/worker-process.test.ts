import { startServiceProcess, waitFor, type ServiceProcess } from '@shop/test-harness';
import { outboxOf, placeOrder, statusOf } from './support/orders';
import { neighboursOf, ordersEnvironment } from './support/orders-service';
import { startOrdersStack, type OrdersStack } from './support/stack';

// Scaled out as in Kubernetes: the API without its workers (WORKERS_ENABLED=false), and
// `npm run worker` (src/worker.ts) in a process of its own doing the jobs. Unpaid orders
// expire 1 s after checkout.
let stack: OrdersStack;
let worker: ServiceProcess | undefined;
beforeAll(async () => {
  stack = await startOrdersStack({ WORKERS_ENABLED: 'false', ORDER_PAYMENT_TIMEOUT_MS: '1000' });
  const { config } = stack;
  worker = await startServiceProcess(
    'subgraphs/orders',
    {
      ...ordersEnvironment(neighboursOf(config), stack.db.url),
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      OUTBOX_POLL_INTERVAL_MS: '50',
      WORKER_PORT: '0',
    },
    60_000,
    'src/worker.ts',
  );
}, 120_000);
afterAll(async () => {
  worker?.child.kill('SIGKILL');
  await stack?.stop();
}, 60_000);

describe('the orders worker process', () => {
  it('answers its probes and nothing else on WORKER_PORT', async () => {
    const healthz = await fetch(`${worker!.origin}/healthz`);
    expect({ status: healthz.status, body: await healthz.json() }).toEqual({
      status: 200,
      body: { status: 'ok', service: 'orders-worker' },
    });
    const readyz = await fetch(`${worker!.origin}/readyz`);
    expect({ status: readyz.status, body: await readyz.json() }).toEqual({
      status: 200,
      body: { status: 'ready', service: 'orders-worker' },
    });
    const graphql = await fetch(`${worker!.origin}/graphql`, { method: 'POST' });
    expect(graphql.status).toBe(404);
    const body = (await graphql.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('NOT_FOUND');
  });

  it("publishes the API's outbox and works the jobs: an unpaid order expires", async () => {
    const placed = await placeOrder(stack);
    await waitFor(async () => (await statusOf(stack, placed.orderId)) === 'CANCELLED', {
      timeoutMs: 20_000,
      what: 'the unpaid order cancelled by the worker process',
    });
    const [placedEvent] = await outboxOf(stack, placed.orderId, 'order.placed');
    expect(placedEvent!.published_at).not.toBeNull();
    expect(await stack.stockOf(placed.productId)).toBe(5);
  }, 30_000);

  it('serves its metrics on METRICS_PORT: its queue, its outbox, its process', async () => {
    const line = worker!.log.find((l) => l.includes('"metricsPort"'));
    const { metricsPort } = JSON.parse(line!) as { metricsPort: number };
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const series = (name: string, ...labels: string[]) =>
      text
        .split('\n')
        .some((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
    const ofWorker = 'service="orders-worker"';
    expect(series('shop_queue_jobs', 'queue="orders"', 'state="failed"', ofWorker)).toBe(true);
    expect(series('shop_outbox_unpublished_rows', ofWorker)).toBe(true);
    expect(series('process_cpu_user_seconds_total', ofWorker)).toBe(true);
    // Not on the probe port.
    expect((await fetch(`${worker!.origin}/metrics`)).status).toBe(404);
  });

  it('stops on SIGTERM, exit code 0', async () => {
    expect(await worker!.stop()).toBe(0);
    expect(worker!.log.join('\n')).toContain('stopping');
  }, 30_000);
});
