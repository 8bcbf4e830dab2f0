import { createHmac, randomUUID } from 'node:crypto';
import { Role } from '@shop/auth';
import { jobId, JobName, QueueName, Queues } from '@shop/queues';
import {
  graphql,
  queryDatabase,
  startTokenIssuer,
  waitFor,
  type GraphQLResponse,
  type TokenIssuer,
} from '@shop/test-harness';
import type { DeliveryConfig } from '../../src/config';
import type { DeliveryService } from '../../src/server';
import {
  CARRIER_WEBHOOK_SECRET,
  DELIVERY_CLIENT,
  startDeliveryFixture,
  type DeliveryFixture,
} from './delivery-service';
import type { FakeCarrier } from './fake-carrier';
import { startFakeOrders, type FakeOrders } from './fake-orders';
import { RECORD } from './operations';

type Response = GraphQLResponse<Record<string, any>>;

export interface Customer {
  userId: string;
  token: string;
}

export interface PaidOrder {
  orderId: string;
  customer: Customer;
}

export interface LabelledOrder extends PaidOrder {
  shipmentId: string;
  trackingNumber: string;
}

export interface FinishedJob {
  state: 'completed' | 'failed';
  result: any;
  failedReason?: string;
  attemptsMade: number;
}

/**
 * The delivery service with a database of its own, a local fake carrier, and test stand-ins
 * for users (tokens, client credentials) and orders (order owners and addresses).
 */
export interface DeliveryStack {
  service: DeliveryService;
  config: DeliveryConfig;
  fixture: DeliveryFixture;
  issuer: TokenIssuer;
  orders: FakeOrders;
  carrier: FakeCarrier;
  queues: Queues;
  courierToken: string;
  adminToken: string;
  call(query: string, variables?: Record<string, unknown>, token?: string): Promise<Response>;
  customer(): Customer;
  /** An order orders knows, paid by a new customer (no job added yet), or in `status`. */
  paidOrder(status?: string): PaidOrder;
  /** Adds order.paid to the delivery queue as orders' relay would; returns the job id. */
  addPaidJob(order: PaidOrder, key?: string): Promise<string>;
  waitForJob(id: string): Promise<FinishedJob>;
  /** A paid order whose label the worker bought (LABEL_CREATED). */
  labelledOrder(): Promise<LabelledOrder>;
  record(shipmentId: string, input: Record<string, unknown>, token?: string): Promise<Response>;
  /** Posts a carrier event signed with the webhook secret (or the given header). */
  postCarrierEvent(
    event: object | string,
    signature?: string | null,
  ): Promise<{ status: number; body: any }>;
  sql<T extends Record<string, any>>(query: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export function sign(body: string, secret = CARRIER_WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function startDeliveryStack(env: Record<string, string> = {}): Promise<DeliveryStack> {
  const issuer = await startTokenIssuer();
  const orders = await startFakeOrders(issuer, DELIVERY_CLIENT);
  const fixture = await startDeliveryFixture(
    {
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: issuer.audience,
      ordersUrl: orders.ordersUrl,
      oauthTokenUrl: orders.tokenUrl,
    },
    env,
  );
  const { service, config } = fixture;
  const queues = new Queues({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const queue = queues.queue(QueueName.DELIVERY);

  const stack: DeliveryStack = {
    service,
    config,
    fixture,
    issuer,
    orders,
    carrier: fixture.carrier!,
    queues,
    courierToken: issuer.userToken({ roles: [Role.COURIER] }),
    adminToken: issuer.adminToken(),
    call: (query, variables = {}, token) =>
      graphql<Record<string, any>>(service.url, query, variables, { token }),
    customer: () => {
      const userId = randomUUID();
      return { userId, token: issuer.userToken({ sub: userId }) };
    },
    paidOrder: (status) => {
      const customer = stack.customer();
      return { orderId: orders.addOrder({ customerId: customer.userId, status }), customer };
    },
    addPaidJob: async (order, key = randomUUID()) => {
      const id = jobId(JobName.ORDER_PAID, key);
      await queue.add(
        JobName.ORDER_PAID,
        { orderId: order.orderId, userId: order.customer.userId, total: 3000, currency: 'EUR' },
        { jobId: id },
      );
      return id;
    },
    waitForJob: (id) =>
      waitFor(
        async () => {
          const state = await queue.getJobState(id);
          if (state !== 'completed' && state !== 'failed') return false;
          const job = (await queue.getJob(id))!;
          return {
            state,
            result: job.returnvalue,
            failedReason: job.failedReason,
            attemptsMade: job.attemptsMade,
          } as FinishedJob;
        },
        { what: `job ${id} finished`, timeoutMs: 20_000 },
      ),
    labelledOrder: async () => {
      const order = stack.paidOrder();
      const finished = await stack.waitForJob(await stack.addPaidJob(order));
      if (finished.state !== 'completed')
        throw new Error(`label job failed: ${finished.failedReason}`);
      return {
        ...order,
        shipmentId: finished.result.shipmentId,
        trackingNumber: finished.result.trackingNumber,
      };
    },
    record: (shipmentId, input, token = stack.courierToken) =>
      stack.call(RECORD, { shipmentId, input }, token),
    postCarrierEvent: async (event, signature) => {
      const body = typeof event === 'string' ? event : JSON.stringify(event);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const header = signature === undefined ? sign(body) : signature;
      if (header !== null) headers['x-carrier-signature'] = header;
      const response = await fetch(service.url.replace(/\/graphql$/, '/webhooks/carrier'), {
        method: 'POST',
        headers,
        body,
      });
      return { status: response.status, body: await response.json().catch(() => null) };
    },
    sql: (query, params = []) => queryDatabase(fixture.db.url, query, params),
    stop: async () => {
      await queues.close();
      await fixture.stop();
      await orders.stop();
      await issuer.stop();
    },
  };
  return stack;
}
