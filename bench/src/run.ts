// Runs one benchmark by name and appends its figures to bench/results/<name>.md.
//   npm run bench -- <name> [--connections N] [--duration S] [--warmup S] [--trace]
//     checkout: [--products P] [--profile]; reservations: [--holds N]; subscriptions: [--scenario broadcast|many-orders|staff] [--subscribers N] [--rate R] [--profile]
//     tracking: [--rate R] [--pool N]; failover: [--subscribers N] [--groups G]
import { parseArgs } from 'node:util';
import { benchCheckout } from './checkout';
import { benchLogging } from './logging';
import { benchMe } from './me';
import { benchOverhead } from './overhead';
import { benchProducts } from './products';
import { benchReservations } from './reservations';
import { benchRouter } from './gateways';
import { benchSubscriptionFailover } from './subscription-failover';
import { benchSubscriptions } from './subscriptions';
import { benchTracking } from './tracking';

const benchmarks = {
  checkout: benchCheckout,
  logging: benchLogging,
  me: benchMe,
  overhead: benchOverhead,
  products: benchProducts,
  reservations: benchReservations,
  router: benchRouter,
  subscriptions: benchSubscriptions,
  failover: benchSubscriptionFailover,
  tracking: benchTracking,
} as const;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      connections: { type: 'string', default: '20' },
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      subscribers: { type: 'string', default: '10000' },
      scenario: { type: 'string' },
      groups: { type: 'string' },
      trace: { type: 'boolean', default: false },
      products: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      persisted: { type: 'boolean', default: false },
      'metrics-off': { type: 'boolean', default: false },
      holds: { type: 'string', default: '10000' },
      rate: { type: 'string' },
      pool: { type: 'string', default: '10' },
      query: { type: 'string', default: 'small' },
    },
  });
  const name = positionals[0] as keyof typeof benchmarks | undefined;
  if (!name || !(name in benchmarks)) {
    console.error(
      `usage: npm run bench -- <${Object.keys(benchmarks).join('|')}> [--connections N] [--duration S] [--warmup S] [--trace] [--subscribers N] [--products P] [--profile] [--holds N] [--rate R] [--pool N]`,
    );
    process.exit(2);
  }
  const options = {
    connections: Number(values.connections),
    durationSeconds: Number(values.duration),
    warmupSeconds: Number(values.warmup),
    subscribers: Number(values.subscribers),
    scenario: values.scenario,
    groups: values.groups === undefined ? undefined : Number(values.groups),
    trace: values.trace,
    products: Number(values.products),
    profile: values.profile,
    baseline: values.baseline,
    persisted: values.persisted,
    metricsOff: values['metrics-off'],
    holds: Number(values.holds),
    rate: values.rate === undefined ? undefined : Number(values.rate),
    pool: Number(values.pool),
    query: values.query,
  };
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  console.log(await benchmarks[name](options, command));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
