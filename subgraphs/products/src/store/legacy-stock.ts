import type { Connection } from 'mongoose';
import { ReservationStatus, type StockLine } from '../domain/reservation';
import type { ReservationRecord, StockLedger } from './stock-ledger';

/** A product document as written before the stock ledger: stock net of its holds. */
interface LegacyProduct {
  _id: { toHexString(): string };
  stock?: number;
  active?: boolean;
  deletedAt?: Date | null;
  holds?: { orderId: string; quantity: number }[];
}

interface LegacyReservation {
  _id: string;
  /** PENDING marked a reservation interrupted half-way (the old design only). */
  status: ReservationStatus | 'PENDING';
  lines: StockLine[];
  createdAt?: Date;
  updatedAt?: Date;
}

export interface LegacyImport {
  /** Products given a ledger row now (0 once everything was imported). */
  products: number;
  reservations: number;
}

/**
 * Brings stock that lived on the catalog documents into the ledger, without losing a
 * unit, and keeps the ledger's `sellable` flags in step with the catalog. Runs on every
 * start and changes nothing once done: rows that exist are never overwritten, because
 * from then on the ledger, not the catalog, knows the count.
 *
 * - A product's units: its document's stock, which already excludes the units held for
 *   open reservations, plus the holds of reservations that never finished (PENDING) or
 *   are unknown: those go back on sale.
 * - RESERVED reservations stay held, claimed: their orders exist and will commit or
 *   release them. PENDING ones become RELEASED. The others keep their status.
 * - A product created just before a crash, whose ledger row was never written, gets it
 *   here from its document's stock.
 */
export async function importLegacyStock(
  connection: Connection,
  ledger: StockLedger,
): Promise<LegacyImport> {
  const reservations = (await connection
    .collection('reservations')
    .find({})
    .toArray()) as unknown as LegacyReservation[];
  const statusOf = new Map(reservations.map((r) => [r._id, r.status]));
  const now = new Date();
  await ledger.importReservations(
    reservations.map((r): ReservationRecord => ({
      orderId: r._id,
      status: r.status === 'PENDING' ? ReservationStatus.RELEASED : r.status,
      lines: r.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      claimDeadline: null,
      createdAt: r.createdAt ?? now,
      updatedAt: r.updatedAt ?? now,
    })),
  );

  const products = (await connection
    .collection('products')
    .find({}, { projection: { stock: 1, active: 1, deletedAt: 1, holds: 1 } })
    .toArray()) as unknown as LegacyProduct[];
  const rows = products.map((p) => {
    const stillHeld = (h: { orderId: string }) => statusOf.get(h.orderId) === 'RESERVED';
    const returned = (p.holds ?? []).filter((h) => !stillHeld(h));
    return {
      productId: p._id.toHexString(),
      available: (p.stock ?? 0) + returned.reduce((n, h) => n + h.quantity, 0),
      sellable: p.active !== false && !p.deletedAt,
    };
  });
  const inserted = await ledger.ensureLevels(rows);
  await ledger.setSellable(rows);
  return { products: inserted, reservations: reservations.length };
}
