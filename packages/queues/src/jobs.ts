import { UnrecoverableError } from 'bullmq';
import { z } from '@shop/config';

/** Every BullMQ queue of the shop. A queue belongs to the service whose workers consume it. */
export const QueueName = {
  /** Consumed by delivery: a shipment for a paid order; none for one cancelled or refunded. */
  DELIVERY: 'delivery',
  /** Consumed by notifications: e-mail / SMS for state changes a customer cares about. */
  NOTIFICATIONS: 'notifications',
  /**
   * Consumed by orders: jobs on its own orders (claiming a new order's stock, the payment
   * timeout) and shipment progress from delivery, which moves the order along.
   */
  ORDERS: 'orders',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** Job names; the outbox topics of orders are the same strings. */
export const JobName = {
  ORDER_PAID: 'order.paid',
  ORDER_CANCELLED: 'order.cancelled',
  ORDER_REFUNDED: 'order.refunded',
  ORDER_EXPIRE: 'order.expire',
  /**
   * orders: an order was written at checkout; its stock hold is claimed so that products
   * stops counting it as possibly abandoned (products expires unclaimed holds).
   */
  ORDER_PLACED: 'order.placed',
  /** users: an account was created (welcome message). */
  USER_REGISTERED: 'user.registered',
  /** delivery: a shipment got a label or a tracking event. */
  SHIPMENT_UPDATED: 'shipment.updated',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

const id = z.uuid();
const amount = z.number().int().min(0);

/** The shipment states of the delivery subgraph (docs/api.md, DeliveryStatus). */
export const DELIVERY_STATUSES = [
  'PENDING',
  'LABEL_CREATED',
  'PICKED_UP',
  'IN_TRANSIT',
  'OUT_FOR_DELIVERY',
  'DELIVERED',
  'FAILED_ATTEMPT',
  'RETURNED',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case');

/**
 * Job payloads carry ids and the minimum context; workers reload the rest from the owner.
 * Amounts are integers of minor units.
 */
export const jobSchemas = {
  [JobName.ORDER_PAID]: z.object({ orderId: id, userId: id, total: amount, currency }),
  [JobName.ORDER_CANCELLED]: z.object({
    orderId: id,
    userId: id,
    total: amount,
    currency,
    /** Whether money had been taken and was refunded as the order was cancelled. */
    refunded: z.boolean(),
    reason: z.enum(['customer', 'payment-timeout']),
  }),
  [JobName.ORDER_REFUNDED]: z.object({ orderId: id, userId: id, amount, currency }),
  [JobName.ORDER_EXPIRE]: z.object({
    orderId: id,
    /** ISO 8601: when the unpaid order expires; the producer turns it into the job's delay. */
    expiresAt: z.iso.datetime(),
  }),
  [JobName.ORDER_PLACED]: z.object({ orderId: id }),
  [JobName.USER_REGISTERED]: z.object({ userId: id }),
  [JobName.SHIPMENT_UPDATED]: z.object({
    shipmentId: id,
    orderId: id,
    /** The order's customer. */
    userId: id,
    status: z.enum(DELIVERY_STATUSES),
    carrier: z.string().nullable(),
    trackingNumber: z.string().nullable(),
    /** ISO 8601: when the carrier or courier saw it happen. */
    at: z.iso.datetime(),
  }),
} satisfies Record<JobName, z.ZodType>;

export type JobData<N extends JobName> = z.infer<(typeof jobSchemas)[N]>;

export const JOB_NAMES: readonly JobName[] = Object.values(JobName);

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

/**
 * A job's payload, validated for its name, for the workers that run it and the outbox relay
 * that publishes it. A payload that does not fit can never succeed, so a job fails at once
 * (UnrecoverableError, no retries), naming the bad field.
 */
export function jobPayload<N extends JobName>(name: N, data: unknown): JobData<N> {
  const parsed = jobSchemas[name].safeParse(data);
  if (!parsed.success) {
    throw new UnrecoverableError(`bad ${name} payload: ${parsed.error.message}`);
  }
  return parsed.data as JobData<N>;
}

/**
 * A job as a worker that handles several reads it: its name and its payload, a union that
 * `switch (job.name)` narrows, so each case sees its own payload's type without a cast.
 */
export type ShopJob<N extends JobName = JobName> = {
  [K in N]: { name: K; data: JobData<K> };
}[N];

/** The job `name` with its payload validated (jobPayload), as a ShopJob. */
export function readJob<N extends JobName>(name: N, data: unknown): ShopJob<N> {
  return { name, data: jobPayload(name, data) } as ShopJob<N>;
}

/**
 * The queues each job goes to. One event may feed several consumers; each queue gets its
 * own job (with the same job id, which is unique per queue).
 */
export const routes: Readonly<Record<JobName, readonly QueueName[]>> = {
  [JobName.ORDER_PAID]: [QueueName.DELIVERY, QueueName.NOTIFICATIONS],
  // Delivery too: a shipment not yet picked up is cancelled and its label voided.
  [JobName.ORDER_CANCELLED]: [QueueName.NOTIFICATIONS, QueueName.DELIVERY],
  [JobName.ORDER_REFUNDED]: [QueueName.NOTIFICATIONS, QueueName.DELIVERY],
  [JobName.ORDER_EXPIRE]: [QueueName.ORDERS],
  [JobName.ORDER_PLACED]: [QueueName.ORDERS],
  [JobName.USER_REGISTERED]: [QueueName.NOTIFICATIONS],
  [JobName.SHIPMENT_UPDATED]: [QueueName.ORDERS, QueueName.NOTIFICATIONS],
};

/**
 * The job id rule: `<job name>__<business key>`, where the key is what makes the job unique
 * (an outbox row id, an order id). Adding a job whose id exists in the queue is a no-op in
 * BullMQ, so a producer that repeats itself (a relay restarted between add and mark, a
 * retried request) enqueues nothing twice. BullMQ refuses ids that contain ':' or look like
 * integers, so neither is accepted as a key.
 */
export function jobId(name: JobName, key: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(key)) {
    throw new Error(`job id key ${JSON.stringify(key)} must be 1-200 of [A-Za-z0-9._-]`);
  }
  return `${name}__${key}`;
}
