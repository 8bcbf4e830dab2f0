// Where one tracking event's write time goes: each piece of the write path run alone, one
// after the other (no concurrency, so the figures are the cost of the piece, not of
// queueing), in this process against the benchmark's delivery database and Redis.
import { performance } from 'node:perf_hooks';
import IORedis from 'ioredis';
import pg from 'pg';
import { TEST_REDIS_URL } from '@shop/test-harness';
import { createPrisma } from '../../subgraphs/delivery/src/store/prisma';
import { ShipmentStore } from '../../subgraphs/delivery/src/store/shipment';
import {
  TrackingWrites,
  type ReportedStep,
} from '../../subgraphs/delivery/src/store/tracking-writes';
import { cpuSnapshot, cpuUse } from './cpu';

export interface Piece {
  name: string;
  /** Wall-clock milliseconds per call, mean. */
  wallMs: number;
  /** This process's CPU milliseconds per call (Prisma, pg, ioredis client side). */
  clientCpuMs: number;
  /** PostgreSQL's CPU milliseconds per call (every backend: others' load counts too). */
  postgresCpuMs: number;
}

const step = (id: string): ReportedStep => ({
  shipment: { id },
  event: { status: 'IN_TRANSIT', location: 'Hub', note: null, at: new Date() },
  origin: { source: 'COURIER', courier: '00000000-0000-4000-8000-000000000001' },
});

export async function writeBreakdown(
  databaseUrl: string,
  shipmentIds: string[],
  calls = 1000,
): Promise<Piece[]> {
  const prisma = createPrisma(databaseUrl, 2);
  const store = new ShipmentStore(prisma);
  const writes = new TrackingWrites(databaseUrl, 1, 60_000);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const redis = new IORedis(TEST_REDIS_URL);
  const payload = JSON.stringify({ shipment: { id: shipmentIds[0] }, event: step('x').event });
  const pieces: Piece[] = [];
  const time = async (name: string, one: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 50; i++) await one(i); // warm-up
    const before = cpuSnapshot({ self: process.pid });
    const started = performance.now();
    for (let i = 0; i < calls; i++) await one(i);
    const wall = performance.now() - started;
    const after = cpuSnapshot({ self: process.pid });
    const use = before && after ? cpuUse(before, after, calls) : null;
    pieces.push({
      name,
      wallMs: wall / calls,
      clientCpuMs: use?.perUnitMs.find((p) => p.name === 'self')?.ms ?? 0,
      postgresCpuMs: use?.serversPerUnitMs.find((p) => p.name === 'PostgreSQL')?.ms ?? 0,
    });
  };
  try {
    const at = (i: number) => shipmentIds[i % shipmentIds.length]!;
    await time(
      'SELECT 1 through Prisma ($queryRaw): per-query overhead',
      () => prisma.$queryRaw`SELECT 1`,
    );
    await time('SELECT 1 through node-pg', () => client.query('SELECT 1'));
    await time('interactive transaction, as before: lock, read, event, shipment, outbox', (i) =>
      prisma.$transaction(async (tx) => {
        const shipment = await store.lock(tx, at(i));
        return store.applyEvent(tx, shipment!, step(at(i)).event, {
          source: 'COURIER',
          courier: '00000000-0000-4000-8000-000000000001',
        });
      }),
    );
    await time('one statement (TrackingWrites.step, node-pg, prepared): the same', (i) =>
      writes.step(step(at(i))),
    );
    await time('Redis PUBLISH of one update (after the commit)', () =>
      redis.publish('bench:tracking-breakdown', payload),
    );
  } finally {
    redis.disconnect();
    await client.end();
    await Promise.all([prisma.$disconnect(), writes.close()]);
  }
  return pieces;
}
