import { Schema, type Connection, type Model } from 'mongoose';
import {
  effectivePreferences,
  PREFERENCE_KINDS,
  type ChannelChoice,
  type Preferences,
} from '../domain/preferences';

interface PreferencesDoc extends Partial<Preferences> {
  /** The user id: one document per customer. */
  _id: string;
  updatedAt?: Date;
}

const choice = new Schema<ChannelChoice>(
  { email: { type: Boolean, required: true }, sms: { type: Boolean, required: true } },
  { _id: false },
);

const preferencesSchema = new Schema<PreferencesDoc>(
  {
    _id: { type: String, required: true },
    ...Object.fromEntries(PREFERENCE_KINDS.map((kind) => [kind, { type: choice }])),
  },
  { collection: 'notification_preferences', timestamps: true, versionKey: false },
);

/** Each customer's channel choices; a customer who never chose has no document. */
export class PreferencesStore {
  private readonly model: Model<PreferencesDoc>;

  constructor(connection: Connection) {
    this.model = connection.model<PreferencesDoc>('NotificationPreferences', preferencesSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch((error: { codeName?: string; code?: number }) => {
      if (error.codeName !== 'NamespaceExists' && error.code !== 48) throw error;
    });
  }

  /** The customer's choices over the defaults. */
  async get(userId: string): Promise<Preferences> {
    const doc = await this.model.findById(userId).lean<PreferencesDoc>();
    return effectivePreferences(doc);
  }

  /** Stores the whole set at once (one document, one write: nothing partial). */
  async save(userId: string, preferences: Preferences): Promise<Preferences> {
    await this.model.updateOne({ _id: userId }, { $set: preferences }, { upsert: true });
    return preferences;
  }
}
