import type pg from 'pg';
import { isUuid, type Connection } from '@shop/subgraph-kit';
import { ConflictError } from '@shop/errors';
import { JobName, outboxPayload, type JobData } from '@shop/queues';
import type { Order, OrderLine, Payment, Prisma, PrismaClient } from '../generated/prisma/client';
import type { LineSnapshot, PaymentMethod, ShippingAddress } from '../domain/checkout';
import type { OrderStatus } from '../domain/order-status';

export type OrderRecord = Order;
export type OrderLineRecord = OrderLine;
/** A line as the API shows it: prices are in its order's currency. */
export type OrderLineView = OrderLine & { currency: string };
export type PaymentRecord = Payment;
/** The client, or the transaction client inside `$transaction`. */
export type Db = PrismaClient | Prisma.TransactionClient;

export interface NewOrder {
  id: string;
  userId: string;
  idempotencyKey: string;
  currency: string;
  totalAmount: number;
  shippingAddress: ShippingAddress;
  lines: LineSnapshot[];
}

export interface NewPayment {
  orderId: string;
  provider: PaymentMethod;
  providerReference: string;
  amount: number;
  currency: string;
  clientSecret: string | null;
  approvalUrl: string | null;
}

export interface OrderCursor {
  createdAt: Date;
  id: string;
}

/**
 * An order row as Prisma returns it, read with node-pg: timestamps are stored as UTC in
 * `timestamp` columns (as Prisma writes them) and converted explicitly, so that neither
 * the server's nor this process's time zone matters.
 */
const ORDERS_BY_IDS = {
  name: 'orders-by-ids',
  text: `SELECT id::text AS id, user_id::text AS "userId", status::text AS status, currency,
           total_amount AS "totalAmount", shipping_address AS "shippingAddress",
           idempotency_key AS "idempotencyKey", created_at AT TIME ZONE 'UTC' AS "createdAt",
           updated_at AT TIME ZONE 'UTC' AS "updatedAt"
         FROM orders WHERE id = ANY($1::uuid[])`,
} as const;

/** Orders, their lines, payments and status history in the orders database. */
export class OrderStore {
  /**
   * `sql`: the pool Prisma's client runs on, for findByIds — every order a request or a
   * live-tracking event shows is read there, and Prisma's own cost per query was about 40 %
   * of the orders service's CPU per tracked event (bench/results/subscriptions.md).
   */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: pg.Pool,
  ) {}

  /**
   * Inserts the order PENDING_PAYMENT with its lines and first history entry. Inside a
   * transaction, a second insert with the same (userId, idempotencyKey) waits on the unique
   * index until this one commits (then fails with P2002) or rolls back (then succeeds).
   */
  /**
   * The order, its lines and its first history entry: three flat inserts rather than one
   * nested create, which Prisma follows with a SELECT of the order. The lines come back
   * too, so the checkout's answer needs no read of them either.
   */
  async insertOrder(
    db: Db,
    order: NewOrder,
  ): Promise<{ order: OrderRecord; lines: OrderLineRecord[] }> {
    const created = await db.order.create({
      data: {
        id: order.id,
        userId: order.userId,
        idempotencyKey: order.idempotencyKey,
        currency: order.currency,
        totalAmount: order.totalAmount,
        shippingAddress: order.shippingAddress as unknown as Prisma.InputJsonObject,
        status: 'PENDING_PAYMENT',
      },
    });
    const lines = await db.orderLine.createManyAndReturn({
      data: order.lines.map((line, position) => ({ ...line, orderId: order.id, position })),
    });
    await db.orderStatusHistory.createMany({
      data: [
        { orderId: order.id, fromStatus: null, toStatus: 'PENDING_PAYMENT', reason: 'checkout' },
      ],
    });
    return { order: created, lines: lines.sort((a, b) => a.position - b.position) };
  }

  insertPayment(db: Db, payment: NewPayment): Promise<PaymentRecord> {
    return db.payment.create({ data: payment });
  }

  /** The order a user's earlier checkout with this key created, with its latest payment. */
  async findByIdempotencyKey(
    userId: string,
    idempotencyKey: string,
  ): Promise<{ order: OrderRecord; payment: PaymentRecord | null } | null> {
    const order = await this.prisma.order.findUnique({
      where: { userId_idempotencyKey: { userId, idempotencyKey } },
      include: { payments: { orderBy: { createdAt: 'desc' }, take: 1 } },
    });
    if (!order) return null;
    const { payments, ...rest } = order;
    return { order: rest, payment: payments[0] ?? null };
  }

  /** The orders of these ids (UUIDs: callers filter what came from outside). */
  async findByIds(ids: readonly string[]): Promise<OrderRecord[]> {
    const { rows } = await this.sql.query<OrderRecord>({ ...ORDERS_BY_IDS, values: [ids] });
    return rows;
  }

  linesOf(orderIds: readonly string[]): Promise<OrderLineRecord[]> {
    return this.prisma.orderLine.findMany({
      where: { orderId: { in: [...orderIds] } },
      orderBy: [{ orderId: 'asc' }, { position: 'asc' }],
    });
  }

  /** A user's orders, newest first, `limit + 1` rows after the cursor (keyset pagination). */
  listForUser(userId: string, limit: number, after: OrderCursor | null): Promise<OrderRecord[]> {
    return this.prisma.order.findMany({
      where: {
        userId,
        ...(after
          ? {
              OR: [
                { createdAt: { lt: after.createdAt } },
                { createdAt: after.createdAt, id: { lt: after.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
  }

  countForUser(userId: string): Promise<number> {
    return this.prisma.order.count({ where: { userId } });
  }

  /**
   * Reads an order and locks its row until the caller's transaction ends, so that two status
   * changes of one order (a cancel and a payment webhook, say) happen one after the other.
   */
  async lockOrder(db: Db, orderId: string): Promise<OrderRecord | null> {
    // Jobs carry ids from other services: one that is no UUID names no order.
    if (!isUuid(orderId)) return null;
    await db.$queryRaw`SELECT 1 FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
    return db.order.findUnique({ where: { id: orderId } });
  }

  /** The order's most recent payment with a provider (PayPal: the one to capture). */
  latestPayment(db: Db, orderId: string, provider: PaymentMethod): Promise<PaymentRecord | null> {
    return db.payment.findFirst({ where: { orderId, provider }, orderBy: { createdAt: 'desc' } });
  }

  /**
   * The payment took the money and the order is PAID: payment SUCCEEDED (with its capture,
   * for PayPal), the status change and the `order.paid` event, in the caller's transaction.
   */
  async markPaid(
    db: Db,
    order: OrderRecord,
    payment: PaymentRecord,
    reason: string,
    captureReference: string | null = null,
  ): Promise<OrderRecord> {
    await db.payment.update({
      where: { id: payment.id },
      data: { status: 'SUCCEEDED', ...(captureReference ? { captureReference } : {}) },
    });
    const paid = await this.setStatus(db, order, 'PAID', reason);
    await this.addOutbox(db, JobName.ORDER_PAID, {
      orderId: order.id,
      userId: order.userId,
      total: order.totalAmount,
      currency: order.currency,
    });
    return paid;
  }

  /** The payment that took the order's money, if one did. */
  capturedPayment(db: Db, orderId: string): Promise<PaymentRecord | null> {
    return db.payment.findFirst({
      where: { orderId, status: 'SUCCEEDED' },
      orderBy: { createdAt: 'desc' },
    });
  }

  /** Whether money was ever taken for the order (captured, or captured and refunded). */
  async wasCharged(db: Db, orderId: string): Promise<boolean> {
    const n = await db.payment.count({
      where: { orderId, status: { in: ['SUCCEEDED', 'REFUNDED'] } },
    });
    return n > 0;
  }

  markRefunded(db: Db, paymentId: string): Promise<PaymentRecord> {
    return db.payment.update({ where: { id: paymentId }, data: { status: 'REFUNDED' } });
  }

  /**
   * Moves an order to a new status and records it, in the caller's transaction. The update
   * only applies while the order is still in the status the caller read: a concurrent change
   * in between makes it fail (CONFLICT) instead of being silently overwritten.
   */
  async setStatus(
    db: Db,
    order: OrderRecord,
    to: OrderStatus,
    reason: string,
  ): Promise<OrderRecord> {
    const { count } = await db.order.updateMany({
      where: { id: order.id, status: order.status },
      data: { status: to },
    });
    if (count !== 1) {
      throw new ConflictError(
        `Order ${order.id} changed meanwhile; it is no longer ${order.status}.`,
      );
    }
    await db.orderStatusHistory.create({
      data: { orderId: order.id, fromStatus: order.status, toStatus: to, reason },
    });
    return db.order.findUniqueOrThrow({ where: { id: order.id } });
  }

  /** Writes an event for the outbox relay, in the caller's transaction. */
  async addOutbox<N extends JobName>(db: Db, topic: N, payload: JobData<N>): Promise<void> {
    await this.addOutboxRows(db, [outboxRow(topic, payload)]);
  }

  /** Several outbox rows in one statement (checkout writes two with every order). */
  async addOutboxRows(db: Db, rows: readonly OutboxRow[]): Promise<void> {
    await db.outbox.createMany({
      data: rows.map((r) => ({
        topic: r.topic,
        payload: outboxPayload(r.payload as object) as Prisma.InputJsonObject,
      })),
    });
  }
}

/** One outbox row, its payload typed by its job name. */
export interface OutboxRow {
  topic: JobName;
  payload: unknown;
}

export function outboxRow<N extends JobName>(topic: N, payload: JobData<N>): OutboxRow {
  return { topic, payload };
}

/** A page of OrderRecords as resolvers return it (totalCount may be counted lazily). */
export type OrderConnectionRecord = Connection<OrderRecord>;
