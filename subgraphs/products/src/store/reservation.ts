import { Schema, type Connection, type Model } from 'mongoose';
import type { ReservationStatus, StockLine } from '../domain/reservation';

export interface ReservationRecord {
  orderId: string;
  status: ReservationStatus;
  lines: StockLine[];
  createdAt: Date;
  updatedAt: Date;
}

interface ReservationDoc {
  /** The order id: one reservation per order, which is what makes reserveStock idempotent. */
  _id: string;
  status: ReservationStatus;
  lines: StockLine[];
  createdAt: Date;
  updatedAt: Date;
}

const reservationSchema = new Schema<ReservationDoc>(
  {
    _id: { type: String, required: true },
    status: { type: String, required: true },
    lines: {
      type: [new Schema({ productId: String, quantity: Number }, { _id: false })],
      required: true,
    },
  },
  { versionKey: false, collection: 'reservations', timestamps: true },
);

function toRecord(doc: ReservationDoc): ReservationRecord {
  return {
    orderId: doc._id,
    status: doc.status,
    lines: doc.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** Stock reservations by order id. Every write runs under the order's lock. */
export class ReservationStore {
  private readonly model: Model<ReservationDoc>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.Reservation as Model<ReservationDoc> | undefined) ??
      connection.model<ReservationDoc>('Reservation', reservationSchema);
  }

  async find(orderId: string): Promise<ReservationRecord | null> {
    const doc = await this.model.findById(orderId).lean();
    return doc ? toRecord(doc) : null;
  }

  async create(
    orderId: string,
    status: ReservationStatus,
    lines: StockLine[],
  ): Promise<ReservationRecord> {
    const doc = await this.model.create({ _id: orderId, status, lines });
    return toRecord(doc.toObject());
  }

  async setStatus(orderId: string, status: ReservationStatus): Promise<ReservationRecord> {
    await this.model.updateOne({ _id: orderId }, { $set: { status } });
    const updated = await this.find(orderId);
    if (!updated) throw new Error(`reservation ${orderId} vanished while locked`);
    return updated;
  }

  async delete(orderId: string): Promise<void> {
    await this.model.deleteOne({ _id: orderId });
  }
}
