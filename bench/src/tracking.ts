// Tracking events in: couriers' recordTrackingEvent mutations and signed carrier webhooks,
// straight at the delivery subgraph, first as a burst (300 mutations on different shipments,
// 50 on one shipment and 300 webhooks, all sent at once), then at a steady target rate
// (open loop: requests leave on schedule whatever the answers take), half mutations, half
// webhooks, spread over many shipments that are IN_TRANSIT (IN_TRANSIT → IN_TRANSIT is a
// legal step, one per hub, so every event is accepted when there is capacity).
//   npm run bench -- tracking [--rate R] [--duration S] [--warmup S] [--pool N]
//
// Every answer is classified: accepted (the event was applied), refused (a coded, retryable
// answer: SERVICE_UNAVAILABLE with retryable true, or HTTP 503 with Retry-After) or an
// error (anything else). Afterwards the events stored and the messages published on the
// pub/sub channels are counted (each must equal the accepted), and the shipment.updated
// outbox rows (none must be written: a hub scan changes no status).
import { createHmac, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import IORedis from 'ioredis';
import { DELIVERY_CLIENT, startFakeOrders, type DeliveryNeighbours } from '@shop/delivery/testing';
import {
  queryDatabase,
  startTokenIssuer,
  TEST_REDIS_URL,
  type TokenIssuer,
} from '@shop/test-harness';
import { cpuList, cpuSnapshot, cpuUse, type CpuUse } from './cpu';
import { appendSection, type RunOptions } from './harness';
import { Latencies, latencyRow, type LatencySummary } from './latency';
import { openLoop } from './open-loop';
import { startChild } from './processes/child';
import { writeBreakdown } from './tracking-breakdown';

const RECORD = `mutation Record($shipmentId: ID!, $input: TrackingEventInput!) {
  recordTrackingEvent(shipmentId: $shipmentId, input: $input) { id status }
}`;
/** Shipments the steady run spreads its events over. */
const SHIPMENTS = 2000;

interface Delivery {
  url: string;
  databaseUrl: string;
  channelPrefix: string;
  webhookSecret: string;
}

type Outcome = 'accepted' | 'refused' | 'error';

/** The answers of one part of the run. */
class Tally {
  readonly latencies = new Latencies();
  accepted = 0;
  refused = 0;
  errors = 0;
  readonly samples: string[] = [];

  add(outcome: Outcome, ms: number, detail?: string): void {
    this.latencies.add(ms);
    this[outcome === 'error' ? 'errors' : outcome]++;
    if (outcome === 'error' && detail && this.samples.length < 3) this.samples.push(detail);
  }
}

interface Part {
  name: string;
  tally: Tally;
  seconds: number;
  cpu: CpuUse | null;
}

/** This benchmark's own options besides the common ones. */
export interface TrackingOptions extends RunOptions {
  /** Events per second of the steady run. */
  rate?: number;
  /** DELIVERY_DATABASE_POOL_SIZE of the delivery process. */
  pool?: number;
}

export async function benchTracking(options: TrackingOptions, command: string): Promise<string> {
  const rate = options.rate ?? 1000;
  const pool = options.pool ?? 10;
  if (!(rate > 0) || !(options.durationSeconds > 0) || !Number.isInteger(pool) || pool < 2) {
    throw new Error('--rate and --duration must be above 0, --pool a whole number of 2 or more');
  }
  const issuer = await startTokenIssuer();
  const orders = await startFakeOrders(issuer, DELIVERY_CLIENT);
  const neighbours: DeliveryNeighbours = {
    jwksUrl: issuer.jwksUrl,
    issuer: issuer.issuer,
    audience: issuer.audience,
    ordersUrl: orders.ordersUrl,
    oauthTokenUrl: orders.tokenUrl,
  };
  const child = await startChild<Delivery>('delivery.ts', {
    neighbours,
    env: { DELIVERY_DATABASE_POOL_SIZE: String(pool), LOG_LEVEL: 'warn' },
  });
  const redis = new IORedis(TEST_REDIS_URL);
  try {
    return await run(child.info, child.pid, issuer, redis, { ...options, rate, pool }, command);
  } finally {
    redis.disconnect();
    await child.stop();
    await orders.stop();
    await issuer.stop();
  }
}

async function run(
  delivery: Delivery,
  deliveryPid: number,
  issuer: TokenIssuer,
  redis: IORedis,
  options: TrackingOptions & { rate: number; pool: number },
  command: string,
): Promise<string> {
  const shipments = await seedShipments(delivery.databaseUrl, SHIPMENTS);
  let published = 0;
  redis.on('pmessage', () => published++);
  await redis.psubscribe(`${delivery.channelPrefix}:order:*`);
  const courier = issuer.userToken({ roles: ['COURIER'] }, { expiresIn: '6h' });
  const send = sender(delivery, courier);
  const pids = { delivery: deliveryPid, 'load generator': process.pid };
  const loadBefore = os.loadavg()[0]!;

  const parts: Part[] = [];
  const timed = async (name: string, work: (tally: Tally) => Promise<void>) => {
    const tally = new Tally();
    const before = cpuSnapshot(pids);
    const started = performance.now();
    await work(tally);
    const seconds = (performance.now() - started) / 1000;
    const after = cpuSnapshot(pids);
    parts.push({
      name,
      tally,
      seconds,
      cpu: before && after ? cpuUse(before, after, Math.max(tally.accepted, 1)) : null,
    });
  };

  // JIT, pools and prepared plans, untimed and not reported.
  const warmup = new Tally();
  await openLoop(Math.min(options.rate, 200), options.warmupSeconds, (i) =>
    send(i % 2 ? 'webhook' : 'mutation', shipments[i % shipments.length]!, warmup),
  );

  await timed('burst: 300 mutations, different shipments', (tally) =>
    all(300, (i) => send('mutation', shipments[i]!, tally)),
  );
  await timed('burst: 50 mutations, one shipment', (tally) =>
    all(50, () => send('mutation', shipments[0]!, tally)),
  );
  await timed('burst: 300 webhooks, different shipments', (tally) =>
    all(300, (i) => send('webhook', shipments[300 + i]!, tally)),
  );
  await timed(`steady: ${options.rate}/s for ${options.durationSeconds} s`, (tally) =>
    openLoop(options.rate, options.durationSeconds, (i) =>
      send(i % 2 ? 'webhook' : 'mutation', shipments[i % shipments.length]!, tally),
    ),
  );
  const loadAfter = os.loadavg()[0]!;

  // Publishing follows the commit: give the last messages a moment to arrive.
  const accepted = warmup.accepted + parts.reduce((sum, p) => sum + p.tally.accepted, 0);
  const deadline = Date.now() + 5000;
  while (published < accepted && Date.now() < deadline) await sleep(50);
  const [stored] = await queryDatabase<{ events: number; outbox: number }>(
    delivery.databaseUrl,
    `SELECT (SELECT count(*)::int FROM tracking_events) AS events,
            (SELECT count(*)::int FROM outbox) AS outbox`,
  );
  const checks = [
    `events stored ${stored!.events}`,
    `outbox rows ${stored!.outbox}`,
    `messages published ${published}`,
  ];
  // Every event here is a hub scan (IN_TRANSIT → IN_TRANSIT): stored and published for
  // live tracking, but no status change, so no shipment.updated for orders or notifications.
  const consistent = stored!.events === accepted && stored!.outbox === 0 && published === accepted;
  const pieces = await writeBreakdown(
    delivery.databaseUrl,
    shipments.map((s) => s.id),
  );

  const rows = parts.map(({ name, tally, seconds }) => {
    const s: LatencySummary = tally.latencies.summary(seconds);
    const [, count, , mean, p50, p99, , max] = latencyRow(name, s);
    return [
      name,
      count!,
      tally.accepted,
      (tally.accepted / seconds).toFixed(1),
      tally.refused,
      tally.errors,
      mean!,
      p50!,
      p99!,
      max!,
    ];
  });
  const errorSamples = parts.flatMap((p) => p.tally.samples.map((s) => `${p.name}: ${s}`));
  const notes = [
    ...parts.flatMap((p) =>
      p.cpu
        ? [
            `CPU ms per accepted event, ${p.name}: ${cpuList(p.cpu.perUnitMs)}; ${cpuList(p.cpu.serversPerUnitMs.filter((s) => s.name === 'PostgreSQL' || s.name === 'Redis'))}; machine ${(p.cpu.machineBusy * 100).toFixed(0)} % busy.`,
          ]
        : [],
    ),
    `Counted afterwards (warm-up included, ${accepted} accepted in all): ${checks.join(', ')}${consistent ? ': events and messages each equal the accepted, and no hub scan wrote a shipment.updated row.' : ': MISMATCH.'}`,
    ...errorSamples.map((s) => `Error sample: ${s.trim().slice(0, 300)}`),
    `Where a write's time goes, each piece alone, one call after the other in this process (mean wall ms / this process's CPU ms / PostgreSQL CPU ms per call): ${pieces.map((p) => `${p.name}: ${p.wallMs.toFixed(2)} / ${p.clientCpuMs.toFixed(2)} / ${p.postgresCpuMs.toFixed(2)}`).join('; ')}.`,
    `Refused = SERVICE_UNAVAILABLE with retryable: true (mutation) or HTTP 503 (webhook); errors = anything else. Latency = request sent → answer received, every request of the part (refusals included).`,
    `Load average (1 min) ${loadBefore.toFixed(2)} before the burst, ${loadAfter.toFixed(2)} after the steady run. The machine is shared (others run tests on the same cores), so figures vary from run to run.`,
  ]
    .map((line) => `- ${line}`)
    .join('\n');
  return appendSection(
    'tracking.md',
    'Benchmark: tracking events in (mutation and carrier webhook)',
    {
      command,
      load: `straight at the delivery subgraph (its own process, DELIVERY_DATABASE_POOL_SIZE=${options.pool}) from this process with Node's fetch (keep-alive); ${SHIPMENTS} shipments IN_TRANSIT, each event IN_TRANSIT at a hub (mutations as a COURIER, webhooks signed, each with a new carrier event id); ${options.warmupSeconds} s warm-up at up to 200/s first. PostgreSQL and Redis on this machine.`,
      columns: [
        'part',
        'sent',
        'accepted',
        'accepted/s',
        'refused',
        'errors',
        'mean',
        'p50',
        'p99',
        'max',
      ],
      rows,
      notes,
    },
  );
}

/** Shipments in transit with tracking numbers, inserted directly (no labels bought). */
async function seedShipments(
  databaseUrl: string,
  count: number,
): Promise<{ id: string; trackingNumber: string }[]> {
  return queryDatabase<{ id: string; trackingNumber: string }>(
    databaseUrl,
    `INSERT INTO shipments (id, order_id, user_id, status, carrier, tracking_number, updated_at)
     SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'IN_TRANSIT', 'bench',
            'BENCH' || lpad(n::text, 8, '0'), now()
     FROM generate_series(1, $1::int) AS n
     RETURNING id::text AS id, tracking_number AS "trackingNumber"`,
    [count],
  );
}

function sender(delivery: Delivery, courier: string) {
  const graphqlUrl = delivery.url;
  const webhookUrl = new URL('/webhooks/carrier', delivery.url).toString();
  return async (
    kind: 'mutation' | 'webhook',
    shipment: { id: string; trackingNumber: string },
    tally: Tally,
  ): Promise<void> => {
    const started = performance.now();
    let outcome: Outcome;
    let detail: string | undefined;
    try {
      if (kind === 'mutation') {
        const response = await fetch(graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${courier}` },
          body: JSON.stringify({
            query: RECORD,
            variables: {
              shipmentId: shipment.id,
              input: { status: 'IN_TRANSIT', location: 'Hub' },
            },
          }),
        });
        const text = await response.text();
        const body = JSON.parse(text) as {
          data?: { recordTrackingEvent?: { status?: string } | null } | null;
          errors?: { extensions?: { code?: string; retryable?: boolean } }[];
        };
        const error = body.errors?.[0]?.extensions;
        if (!body.errors && body.data?.recordTrackingEvent?.status === 'IN_TRANSIT') {
          outcome = 'accepted';
        } else if (error?.code === 'SERVICE_UNAVAILABLE' && error.retryable === true) {
          outcome = 'refused';
        } else {
          outcome = 'error';
          detail = text;
        }
      } else {
        const body = JSON.stringify({
          id: randomUUID(),
          trackingNumber: shipment.trackingNumber,
          status: 'IN_TRANSIT',
          location: 'Hub',
          occurredAt: new Date().toISOString(),
        });
        const response = await fetch(webhookUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-carrier-signature': `sha256=${createHmac('sha256', delivery.webhookSecret).update(body).digest('hex')}`,
          },
          body,
        });
        const text = await response.text();
        if (response.status === 200 && text.includes('"applied"')) outcome = 'accepted';
        else if (response.status === 503 && response.headers.get('retry-after'))
          outcome = 'refused';
        else {
          outcome = 'error';
          detail = `HTTP ${response.status} ${text}`;
        }
      }
    } catch (error) {
      outcome = 'error';
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      detail = `${String(error)}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
    }
    tally.add(outcome, performance.now() - started, detail);
  };
}

/** `count` calls at once. */
async function all(count: number, one: (i: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
}

/**
 * Starts `rate` calls per second for `seconds`, each on schedule whether or not earlier
 * ones have answered, and waits for every answer.
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
