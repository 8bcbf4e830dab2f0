import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { Connection as Page } from '@shop/subgraph-kit';
import type { ChannelName } from '../domain/preferences';
import type { ClaimState, NotificationStatus } from '../domain/delivery';
import { isDuplicateKey } from '@shop/mongo-kit';

export interface Attempt {
  at: Date;
  ok: boolean;
  error: string | null;
  /** The attempt's id (see `sending`); absent on attempts recorded before it existed. */
  attemptId?: string | null;
}

/** An attempt handed to the mail server or SMS provider whose outcome is not recorded yet. */
export interface SendingAttempt {
  attemptId: string;
  at: Date;
}

/** How an attempt that a worker started but never finished is recorded once found. */
export const OUTCOME_UNKNOWN =
  'outcome unknown: the worker stopped after handing the message over and before recording ' +
  "the server's answer; sent again with the same Message-ID";

interface NotificationDoc {
  _id: Types.ObjectId;
  userId: string;
  channel: ChannelName;
  template: string;
  /** E-mail address or phone number. */
  to: string;
  subject: string | null;
  body: { text: string; html: string | null };
  status: NotificationStatus;
  /** FAILED for good: refused by the server or channel not configured. */
  permanent: boolean;
  attempts: Attempt[];
  providerMessageId: string | null;
  /** E-mail: the Message-ID header, derived from the notification id, set before sending. */
  messageId: string | null;
  /**
   * Set just before the message is handed over, cleared when its outcome is recorded. Found
   * set by a later attempt, it means a worker stopped in between: the message may have been
   * delivered, and goes again with the same Message-ID.
   */
  sending: SendingAttempt | null;
  lastError: string | null;
  /** The event's business key (e.g. order.paid:<orderId>); unique with the channel. */
  eventKey: string;
  /** The BullMQ job that claimed the message, and until when the claim holds. */
  ownerJobId: string;
  leaseUntil: Date;
  sentAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NotificationRecord extends Omit<NotificationDoc, '_id'> {
  id: string;
}

export type NotificationConnectionRecord = Page<NotificationRecord>;

export type NewNotification = Pick<
  NotificationDoc,
  | 'userId'
  | 'channel'
  | 'template'
  | 'to'
  | 'subject'
  | 'body'
  | 'eventKey'
  | 'ownerJobId'
  | 'leaseUntil'
>;

const attemptSchema = new Schema<Attempt>(
  {
    at: { type: Date, required: true },
    ok: { type: Boolean, required: true },
    error: String,
    attemptId: { type: String, default: null },
  },
  { _id: false },
);

const sendingSchema = new Schema<SendingAttempt>(
  { attemptId: { type: String, required: true }, at: { type: Date, required: true } },
  { _id: false },
);

const notificationSchema = new Schema<NotificationDoc>(
  {
    userId: { type: String, required: true },
    channel: { type: String, required: true, enum: ['EMAIL', 'SMS'] },
    template: { type: String, required: true },
    to: { type: String, required: true },
    subject: { type: String, default: null },
    body: { text: { type: String, required: true }, html: { type: String, default: null } },
    status: { type: String, required: true, enum: ['QUEUED', 'SENT', 'FAILED'] },
    permanent: { type: Boolean, default: false },
    attempts: { type: [attemptSchema], default: [] },
    providerMessageId: { type: String, default: null },
    messageId: { type: String, default: null },
    sending: { type: sendingSchema, default: null },
    lastError: { type: String, default: null },
    eventKey: { type: String, required: true },
    ownerJobId: { type: String, required: true },
    leaseUntil: { type: Date, required: true },
    sentAt: { type: Date, default: null },
  },
  { collection: 'notifications', timestamps: true, versionKey: false },
);
// At most one message per (event, channel): the claim that makes delivery exactly-once.
notificationSchema.index({ eventKey: 1, channel: 1 }, { unique: true });
// myNotifications: a customer's messages, newest first.
notificationSchema.index({ userId: 1, createdAt: -1, _id: -1 });

function toRecord(doc: NotificationDoc): NotificationRecord {
  const { _id, ...rest } = doc;
  return { ...rest, id: _id.toHexString() };
}

export const isNotificationId = (id: string) => /^[0-9a-f]{24}$/i.test(id);

export type ClaimResult =
  { claimed: true; record: NotificationRecord } | { claimed: false; existing: NotificationRecord };

/** Messages sent (or being sent) and their delivery attempts, in MongoDB. */
export class NotificationStore {
  private readonly model: Model<NotificationDoc>;

  constructor(connection: Connection) {
    this.model = connection.model<NotificationDoc>('Notification', notificationSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch((error: { codeName?: string; code?: number }) => {
      if (error.codeName !== 'NamespaceExists' && error.code !== 48) throw error;
    });
    await this.model.createIndexes();
  }

  /**
   * Claims a message by inserting it QUEUED. The unique (eventKey, channel) index lets
   * exactly one of any number of racing inserts win; the others get the existing one.
   */
  async claim(message: NewNotification): Promise<ClaimResult> {
    try {
      const created = await this.model.create({ ...message, status: 'QUEUED' });
      return { claimed: true, record: toRecord(created.toObject()) };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const existing = await this.model
      .findOne({ eventKey: message.eventKey, channel: message.channel })
      .lean<NotificationDoc>();
    if (!existing) throw new Error(`claim of ${message.eventKey} ${message.channel} vanished`);
    return { claimed: false, existing: toRecord(existing) };
  }

  /**
   * Takes over a claim that `claimDecision` allowed: only if nobody changed the owner or
   * lease since it was read. (FerretDB 1.x does not make this compare-and-set atomic; two
   * takers of one abandoned message in the same instant could both win. Fresh claims, the
   * common race, rest on the unique index, which is reliable.)
   */
  async takeOver(existing: ClaimState & { id: string }, jobId: string, leaseUntil: Date) {
    const result = await this.model.updateOne(
      {
        _id: new Types.ObjectId(existing.id),
        ownerJobId: existing.ownerJobId,
        leaseUntil: existing.leaseUntil,
        status: { $ne: 'SENT' },
      },
      { $set: { ownerJobId: jobId, leaseUntil, status: 'QUEUED' } },
    );
    return result.matchedCount === 1;
  }

  /**
   * Records, before the message is handed over, that attempt `attemptId` is under way and
   * the Message-ID it carries. An earlier attempt found still under way (`inDoubt`: its
   * worker stopped before recording the outcome) is recorded as an attempt of unknown
   * outcome. False when the message was SENT meanwhile (another worker): nothing to do.
   */
  async markSending(
    id: string,
    attempt: SendingAttempt,
    messageId: string | null,
    inDoubt: SendingAttempt | null,
  ): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: new Types.ObjectId(id), status: { $ne: 'SENT' } },
      {
        $set: { sending: attempt, messageId },
        ...(inDoubt
          ? {
              $push: {
                attempts: {
                  at: inDoubt.at,
                  ok: false,
                  error: OUTCOME_UNKNOWN,
                  attemptId: inDoubt.attemptId,
                },
              },
            }
          : {}),
      },
    );
    return result.matchedCount === 1;
  }

  async markSent(
    id: string,
    at: Date,
    providerMessageId: string | null,
    attemptId: string | null = null,
  ): Promise<void> {
    await this.model.updateOne(
      { _id: new Types.ObjectId(id) },
      {
        $set: { status: 'SENT', sentAt: at, providerMessageId, lastError: null, sending: null },
        $push: { attempts: { at, ok: true, error: null, attemptId } },
      },
    );
  }

  /**
   * Records a failed attempt. `status` QUEUED while the job will be retried, FAILED when
   * the failure is permanent or this was the job's last attempt.
   */
  async markFailed(
    id: string,
    at: Date,
    error: string,
    outcome: { status: 'QUEUED' | 'FAILED'; permanent: boolean },
    attemptId: string | null = null,
  ): Promise<void> {
    await this.model.updateOne(
      { _id: new Types.ObjectId(id) },
      {
        $set: {
          status: outcome.status,
          permanent: outcome.permanent,
          lastError: error,
          sending: null,
        },
        $push: { attempts: { at, ok: false, error, attemptId } },
      },
    );
  }

  async findByEvent(eventKey: string): Promise<NotificationRecord[]> {
    const docs = await this.model.find({ eventKey }).sort({ channel: 1 }).lean<NotificationDoc[]>();
    return docs.map(toRecord);
  }

  /** A customer's messages, newest first, keyset-paginated; up to `limit + 1` rows. */
  async listForUser(
    userId: string,
    limit: number,
    after: { createdAt: Date; id: string } | null,
  ): Promise<NotificationRecord[]> {
    const filter: Record<string, unknown> = { userId };
    if (after) {
      const id = new Types.ObjectId(after.id);
      filter.$or = [
        { createdAt: { $lt: after.createdAt } },
        { createdAt: after.createdAt, _id: { $lt: id } },
      ];
    }
    const docs = await this.model
      .find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean<NotificationDoc[]>();
    return docs.map(toRecord);
  }

  /** A real promise: a mongoose Query is a thenable that runs again on every then(). */
  async countForUser(userId: string): Promise<number> {
    return this.model.countDocuments({ userId }).exec();
  }
}
