import { randomUUID } from 'node:crypto';
import { createLogger } from '@shop/logging';
import { TEST_REDIS_URL, testKeyPrefix, waitFor } from '@shop/test-harness';
import { DeliveryEvents } from '../src/events/delivery-events';
import type { DeliveryUpdateRecord } from '../src/store/shipment';

// Redis pub/sub fan-out on its own: one subscriber connection per process, a bounded buffer
// per local subscriber.
let events: DeliveryEvents;
beforeEach(() => {
  events = new DeliveryEvents(
    {
      redisUrl: TEST_REDIS_URL,
      channelPrefix: testKeyPrefix('events').replace(/:$/, ''),
      bufferSize: 10,
    },
    createLogger('events-test', 'silent'),
  );
});
afterEach(() => events.close());

function update(orderId: string, n: number): DeliveryUpdateRecord {
  const now = new Date();
  return {
    shipment: {
      id: randomUUID(),
      orderId,
      userId: randomUUID(),
      status: 'IN_TRANSIT',
      carrier: 'ACME Parcel',
      trackingNumber: 'ACME1',
      labelUrl: null,
      labelVoidedAt: null,
      courier: null,
      createdAt: now,
      updatedAt: now,
    },
    event: { status: 'IN_TRANSIT', location: `hub ${n}`, note: null, at: now },
  };
}

async function take(stream: AsyncIterator<DeliveryUpdateRecord>, n: number): Promise<string[]> {
  const seen: string[] = [];
  while (seen.length < n) seen.push((await stream.next()).value.event.location);
  return seen;
}

describe('DeliveryEvents', () => {
  it('a subscriber that never reads does not hold up another; it keeps only the newest events', async () => {
    const orderId = randomUUID();
    const reader = await events.listen(orderId);
    const sleeper = await events.listen(orderId);
    const reading = take(reader, 30);
    for (let n = 1; n <= 30; n++) await events.publish(update(orderId, n));

    expect(await reading).toEqual(Array.from({ length: 30 }, (_, i) => `hub ${i + 1}`));
    // The sleeper's buffer holds 10: the oldest 20 were dropped for it alone.
    expect(await take(sleeper, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `hub ${i + 21}`));
    await reader.return!();
    await sleeper.return!();
    expect(events.stats()).toEqual({ subscribers: 0, channels: 0 });
  });

  it('delivers only the order subscribed to, with dates revived', async () => {
    const [mine, other] = [randomUUID(), randomUUID()];
    const stream = await events.listen(mine);
    await events.publish(update(other, 1));
    await events.publish(update(mine, 2));
    const { value } = await stream.next();
    expect(value.event.location).toBe('hub 2');
    expect(value.event.at).toBeInstanceOf(Date);
    expect(value.shipment.createdAt).toBeInstanceOf(Date);
  });

  it('a subscriber that leaves while another subscribes again keeps the channel working', async () => {
    const orderId = randomUUID();
    const first = await events.listen(orderId);
    await first.return!();
    const second = await events.listen(orderId);
    await events.publish(update(orderId, 7));
    expect((await second.next()).value.event.location).toBe('hub 7');
    await waitFor(() => events.stats().subscribers === 1);
  });
});
