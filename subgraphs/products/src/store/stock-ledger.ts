import type { ReservationStatus, StockLine } from '../domain/reservation';
import type { PrismaClient } from './prisma';

export interface ReservationRecord {
  orderId: string;
  status: ReservationStatus;
  lines: StockLine[];
  /** When held units go back to stock unless the order claims them; null once claimed. */
  claimDeadline: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type ReserveOutcome =
  | { kind: 'reserved' }
  | { kind: 'exists' }
  | { kind: 'unknown'; productId: string }
  | { kind: 'unavailable'; productId: string; available: number };

export interface MoveOutcome {
  /** The status before the call; null when the order has no reservation. */
  previous: ReservationStatus | null;
  /** Set when units had to be taken again and a product had too few. */
  short: { productId: string; available: number } | null;
}

export type AdjustOutcome =
  | { kind: 'adjusted'; available: number }
  | { kind: 'refused'; available: number }
  | { kind: 'missing' };

/** A stock level whose latest change the catalog mirror has not looked at yet. */
export interface UnmirroredLevel {
  productId: string;
  available: number;
  version: bigint;
  /** Which side of zero the catalog was last told; null when never. */
  mirroredInStock: boolean | null;
}

/**
 * The stock ledger in PostgreSQL (docs/adr/0006): one row per product, one per reservation
 * and its lines. Every change of units is one call of a SQL function from the migrations,
 * so each is atomic and costs one round trip however many holds a product has.
 */
export class StockLedger {
  constructor(private readonly prisma: PrismaClient) {}

  async reserve(
    orderId: string,
    lines: readonly StockLine[],
    claimWithinMs: number,
  ): Promise<ReserveOutcome> {
    const rows = await this.prisma.$queryRaw<
      { outcome: string; product_id: string | null; available: number | null }[]
    >`SELECT outcome, product_id, available FROM reserve_stock(
        ${orderId}, ${lines.map((l) => l.productId)}::text[],
        ${lines.map((l) => l.quantity)}::int[], ${claimWithinMs}::int)`;
    const row = rows[0];
    switch (row?.outcome) {
      case 'reserved':
      case 'exists':
        return { kind: row.outcome };
      case 'unknown':
        return { kind: 'unknown', productId: row.product_id ?? '' };
      case 'unavailable':
        return {
          kind: 'unavailable',
          productId: row.product_id ?? '',
          available: row.available ?? 0,
        };
      default:
        throw new Error(`reserve_stock answered ${JSON.stringify(row)}`);
    }
  }

  /**
   * Moves a reservation to `to` if its status is one of `from`, with `units` per line
   * going back to stock (+1), staying (0) or being taken again (-1).
   */
  async move(
    orderId: string,
    from: readonly ReservationStatus[],
    to: ReservationStatus,
    units: -1 | 0 | 1,
  ): Promise<MoveOutcome> {
    const rows = await this.prisma.$queryRaw<
      { previous: string; product_id: string | null; available: number | null }[]
    >`SELECT previous, product_id, available FROM move_stock_reservation(
        ${orderId}, ${[...from]}::text[]::"StockReservationStatus"[],
        ${to}::text::"StockReservationStatus", ${units}::int)`;
    const row = rows[0];
    if (!row) throw new Error('move_stock_reservation answered nothing');
    return {
      previous: row.previous === 'missing' ? null : (row.previous as ReservationStatus),
      short: row.product_id ? { productId: row.product_id, available: row.available ?? 0 } : null,
    };
  }

  /** Up to `limit` unclaimed holds past their deadline go back to stock; their order ids. */
  async expireHolds(limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ order_id: string }[]>`
      SELECT order_id FROM expire_stock_holds(${limit}::int) AS order_id`;
    return rows.map((r) => r.order_id);
  }

  async find(orderId: string): Promise<ReservationRecord | null> {
    const row = await this.prisma.stockReservation.findUnique({
      where: { orderId },
      include: { lines: { orderBy: { productId: 'asc' } } },
    });
    if (!row) return null;
    return {
      orderId: row.orderId,
      status: row.status,
      lines: row.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      claimDeadline: row.claimDeadline,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** Units available now per product id; ids without a stock row are left out. */
  async available(ids: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.prisma.stockLevel.findMany({
      where: { productId: { in: [...ids] } },
      select: { productId: true, available: true },
    });
    return new Map(rows.map((r) => [r.productId, r.available]));
  }

  /** Adds `delta` units (negative removes), unless the result would leave [0, max]. */
  async adjust(productId: string, delta: number, max: number): Promise<AdjustOutcome> {
    const rows = await this.prisma.$queryRaw<{ available: number }[]>`
      UPDATE stock_levels
         SET available = available + ${delta}::int, version = version + 1, updated_at = now()
       WHERE product_id = ${productId}
         AND available + ${delta}::int BETWEEN 0 AND ${max}::int
      RETURNING available`;
    if (rows[0]) return { kind: 'adjusted', available: rows[0].available };
    const current = await this.available([productId]);
    const available = current.get(productId);
    return available === undefined ? { kind: 'missing' } : { kind: 'refused', available };
  }

  /**
   * Stock rows for products that have none yet; existing rows are left as they are (the
   * ledger, not the caller, knows the current count). The count comes from the catalog
   * document, so the catalog's copy is up to date already (mirrored).
   */
  async ensureLevels(
    rows: readonly { productId: string; available: number; sellable: boolean }[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    return this.prisma.$executeRaw`
      INSERT INTO stock_levels (product_id, available, sellable, mirrored_version, mirrored_in_stock)
      SELECT id, available, sellable, 1, available > 0
        FROM unnest(${rows.map((r) => r.productId)}::text[],
                    ${rows.map((r) => r.available)}::int[],
                    ${rows.map((r) => r.sellable)}::boolean[]) AS u(id, available, sellable)
      ON CONFLICT (product_id) DO NOTHING`;
  }

  /** Whether products can be reserved at all (false once inactive or deleted). */
  async setSellable(rows: readonly { productId: string; sellable: boolean }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.prisma.$executeRaw`
      UPDATE stock_levels s SET sellable = u.sellable
        FROM unnest(${rows.map((r) => r.productId)}::text[],
                    ${rows.map((r) => r.sellable)}::boolean[]) AS u(product_id, sellable)
       WHERE s.product_id = u.product_id AND s.sellable IS DISTINCT FROM u.sellable`;
  }

  /**
   * Reservations carried over from before the ledger existed, with their lines; ones that
   * exist already are skipped, so a repeated migration changes nothing.
   */
  async importReservations(rows: readonly ReservationRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.prisma.$transaction([
      this.prisma.stockReservation.createMany({
        data: rows.map((r) => ({
          orderId: r.orderId,
          status: r.status,
          claimDeadline: r.claimDeadline,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
        })),
        skipDuplicates: true,
      }),
      this.prisma.stockReservationLine.createMany({
        data: rows.flatMap((r) => r.lines.map((l) => ({ orderId: r.orderId, ...l }))),
        skipDuplicates: true,
      }),
    ]);
  }

  async unmirrored(limit: number): Promise<UnmirroredLevel[]> {
    const rows = await this.prisma.$queryRaw<UnmirroredLevel[]>`
      SELECT product_id AS "productId", available, version, mirrored_in_stock AS "mirroredInStock"
        FROM stock_levels
       WHERE version <> mirrored_version ORDER BY product_id LIMIT ${limit}::int`;
    return rows.map((r) => ({ ...r, version: BigInt(r.version) }));
  }

  /** Records what the mirror has dealt with, in one statement for a whole batch. */
  async markMirrored(
    levels: readonly { productId: string; version: bigint; inStock: boolean }[],
  ): Promise<void> {
    if (levels.length === 0) return;
    await this.prisma.$executeRaw`
      UPDATE stock_levels s
         SET mirrored_version = u.version, mirrored_in_stock = u.in_stock
        FROM unnest(${levels.map((l) => l.productId)}::text[],
                    ${levels.map((l) => l.version.toString())}::bigint[],
                    ${levels.map((l) => l.inStock)}::boolean[]) AS u(product_id, version, in_stock)
       WHERE s.product_id = u.product_id AND s.mirrored_version < u.version`;
  }
}

/** PostgreSQL gave up waiting for a row lock (lock_timeout) or a statement (statement_timeout). */
export function isLedgerBusy(error: unknown): boolean {
  const text = `${(error as { code?: string })?.code ?? ''} ${JSON.stringify(
    (error as { meta?: unknown })?.meta ?? '',
  )} ${(error as Error)?.message ?? ''}`;
  return /55P03|57014|lock timeout|statement timeout/i.test(text);
}
