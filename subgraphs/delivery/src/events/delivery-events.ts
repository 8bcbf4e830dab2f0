import IORedis from 'ioredis';
import type { Logger } from '@shop/logging';
import type { DeliveryUpdateRecord, ShipmentRecord } from '../store/shipment';

/** The JSON that travels on a channel: dates as ISO strings. */
interface WireUpdate {
  shipment: Omit<ShipmentRecord, 'createdAt' | 'updatedAt'> & {
    createdAt: string;
    updatedAt: string;
  };
  event: { status: string; location: string | null; note: string | null; at: string };
}

function revive(message: string): DeliveryUpdateRecord {
  const wire = JSON.parse(message) as WireUpdate;
  return {
    shipment: {
      ...wire.shipment,
      createdAt: new Date(wire.shipment.createdAt),
      updatedAt: new Date(wire.shipment.updatedAt),
    } as ShipmentRecord,
    event: { ...wire.event, at: new Date(wire.event.at) } as DeliveryUpdateRecord['event'],
  };
}

/**
 * One local subscriber's stream of updates: an async iterator over its own bounded buffer.
 * Delivery to it never waits for it: when it falls `limit` events behind, its oldest are
 * dropped (it can re-read the shipment's events), so one slow client holds up nobody else.
 */
class UpdateStream implements AsyncIterableIterator<DeliveryUpdateRecord> {
  private readonly buffer: DeliveryUpdateRecord[] = [];
  private waiting: ((result: IteratorResult<DeliveryUpdateRecord>) => void) | null = null;
  private done = false;
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly detach: (stream: UpdateStream) => void,
  ) {}

  push(update: DeliveryUpdateRecord): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: update, done: false });
      return;
    }
    this.buffer.push(update);
    if (this.buffer.length > this.limit) {
      this.buffer.shift();
      this.dropped++;
    }
  }

  next(): Promise<IteratorResult<DeliveryUpdateRecord>> {
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Called by graphql-js when the client unsubscribes or disconnects: frees everything. */
  return(): Promise<IteratorResult<DeliveryUpdateRecord>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(): Promise<IteratorResult<DeliveryUpdateRecord>> {
    return this.return();
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.buffer.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    this.detach(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

interface Channel {
  streams: Set<UpdateStream>;
  /** Resolves once Redis confirmed the SUBSCRIBE. */
  subscribed: Promise<unknown>;
}

export interface DeliveryEventsOptions {
  redisUrl: string;
  /** Channels are `<prefix>:order:<order id>`. */
  channelPrefix: string;
  /** Events buffered per subscriber that does not keep up. */
  bufferSize: number;
}

/**
 * Tracking events between replicas: each is published on its order's Redis channel once its
 * transaction has committed, and every replica that has a subscriber for that order receives
 * it. A replica keeps one subscriber connection whatever its number of subscribers: it
 * SUBSCRIBEs to an order's channel for the first local subscriber of that order, UNSUBSCRIBEs
 * after the last, and fans each message out in-process (parsed once, shared by all).
 */
export class DeliveryEvents {
  private readonly publisher: IORedis;
  private readonly subscriber: IORedis;
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly options: DeliveryEventsOptions,
    private readonly log: Logger,
  ) {
    this.publisher = new IORedis(options.redisUrl, { maxRetriesPerRequest: 3 });
    this.subscriber = new IORedis(options.redisUrl);
    this.subscriber.on('message', (channel: string, message: string) =>
      this.deliver(channel, message),
    );
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on('error', (err) => this.log.warn({ err }, 'redis pub/sub connection error'));
    }
  }

  channelOf(orderId: string): string {
    return `${this.options.channelPrefix}:order:${orderId}`;
  }

  /**
   * Announces a committed update to every replica. A failure is logged, not thrown: the
   * event is stored, and a client that missed it live sees it in Shipment.events.
   */
  async publish(update: DeliveryUpdateRecord): Promise<void> {
    try {
      const { status, location, note, at } = update.event;
      // Only the event's public fields: a stored event also has its id and sequence (bigint).
      const wire = { shipment: update.shipment, event: { status, location, note, at } };
      await this.publisher.publish(this.channelOf(update.shipment.orderId), JSON.stringify(wire));
    } catch (err) {
      this.log.error(
        { err, orderId: update.shipment.orderId, status: update.event.status },
        'tracking event not published to subscribers',
      );
    }
  }

  /** A stream of the order's updates from now on; resolves once Redis is listening. */
  async listen(orderId: string): Promise<AsyncIterableIterator<DeliveryUpdateRecord>> {
    const name = this.channelOf(orderId);
    let channel = this.channels.get(name);
    if (!channel) {
      channel = { streams: new Set(), subscribed: this.subscriber.subscribe(name) };
      this.channels.set(name, channel);
    }
    const stream = new UpdateStream(this.options.bufferSize, (s) => this.detach(name, s));
    channel.streams.add(stream);
    try {
      await channel.subscribed;
    } catch (error) {
      stream.end();
      throw error;
    }
    return stream;
  }

  /** Local subscribers and the Redis channels this replica listens on (health, tests). */
  stats(): { subscribers: number; channels: number } {
    let subscribers = 0;
    for (const channel of this.channels.values()) subscribers += channel.streams.size;
    return { subscribers, channels: this.channels.size };
  }

  async close(): Promise<void> {
    for (const channel of [...this.channels.values()]) {
      for (const stream of [...channel.streams]) stream.end();
    }
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }

  private detach(name: string, stream: UpdateStream): void {
    const channel = this.channels.get(name);
    if (!channel?.streams.delete(stream)) return;
    if (stream.dropped) {
      this.log.warn({ channel: name, dropped: stream.dropped }, 'slow subscriber missed events');
    }
    if (channel.streams.size === 0) {
      this.channels.delete(name);
      // Redis runs one connection's commands in order: a SUBSCRIBE for a new first
      // subscriber, sent after this, is applied after it.
      this.subscriber.unsubscribe(name).catch((err: unknown) => {
        this.log.warn({ err, channel: name }, 'redis unsubscribe failed');
      });
    }
  }

  private deliver(name: string, message: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    let update: DeliveryUpdateRecord;
    try {
      update = revive(message);
    } catch (err) {
      this.log.error({ err, channel: name }, 'unreadable tracking event on pub/sub');
      return;
    }
    for (const stream of channel.streams) stream.push(update);
  }
}
