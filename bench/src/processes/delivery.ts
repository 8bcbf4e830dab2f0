// The delivery service with a database of its own and a local fake carrier, in a process of
// its own. Input: where its neighbours are, and further environment (QUEUE_PREFIX, shared
// with orders so a paid order becomes a shipment). Announces, besides its URL, a small
// HTTP endpoint that answers how many subscribers this process holds, so the benchmark
// knows when every client's subscription has reached it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDeliveryFixture, type DeliveryNeighbours } from '@shop/delivery/testing';
import { announce, childInput, stopOnSigterm } from './child';
import { loopMonitor } from './loop-monitor';

const { neighbours, env } = childInput<{
  neighbours: DeliveryNeighbours;
  env?: Record<string, string>;
}>();

void (async () => {
  const delivery = await startDeliveryFixture(neighbours, env);
  const loop = loopMonitor();
  const stats = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    // /loop: its event loop's delay and GC pauses since the last reading (loop-monitor.ts).
    res.end(JSON.stringify(req.url === '/loop' ? loop.read() : delivery.service.subscriptions()));
  });
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
  stopOnSigterm(async () => {
    stats.close();
    await delivery.stop();
  });
  announce({
    url: delivery.service.url,
    statsUrl: `http://127.0.0.1:${(stats.address() as AddressInfo).port}/`,
    // For benchmarks that seed shipments and count what was stored and published.
    databaseUrl: delivery.db.url,
    channelPrefix: delivery.config.PUBSUB_CHANNEL_PREFIX,
    webhookSecret: delivery.config.CARRIER_WEBHOOK_SECRET,
    // For another replica of this service (processes/delivery-replica.ts).
    config: Object.fromEntries(
      Object.entries(delivery.config)
        .filter(([, value]) => value !== undefined && typeof value !== 'object')
        .map(([key, value]) => [key, String(value)]),
    ),
  });
})();
