// Stock reservations of one product, straight to the products subgraph as checkout (the
// orders service) makes them: reserveStock(orderId, lines) with a service token holding
// products:reserve, from N concurrent callers, each a closed loop of one-unit reservations
// for fresh order ids. Two runs on the same product: first with no outstanding holds, then
// after --holds unpaid holds (distinct orders, placed untimed) that stay outstanding, as
// the unpaid orders of a busy sale do until they are paid or expire.
//   npm run bench -- reservations [--connections N] [--duration S] [--warmup S] [--holds N]
//
// Only the GraphQL API (reserveStock, releaseStock, product.stock) is used, so the figures
// of any storage behind it compare. Where the subgraph has claimStock (a hold that no order
// claims expires), each of the outstanding holds is claimed once placed, as orders does
// once the order is written, so that they stay outstanding like unpaid orders; the timed
// reservations are not (they are released within seconds, long before any expiry). Every answer is checked, and the product's stock after
// each step is compared with what the answers imply; a run with any error is not recorded.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { startTokenIssuer, type TokenIssuer } from '@shop/test-harness';
import { call } from './call';
import { cpuList, cpuSnapshot, cpuUse, type CpuUse } from './cpu';
import { appendSection, checkClosedLoopOptions, type RunOptions } from './harness';
import { Latencies, latencyRow, type LatencySummary } from './latency';
import { startChild, type Child } from './processes/child';

/** Big enough for the holds and every timed reservation, so none is refused. */
const INITIAL_STOCK = 10_000_000;
/** Long enough for the slowest run a person would start (holds placed one by one). */
const TOKEN_LIFETIME = '6h';

const CREATE_PRODUCT = `mutation CreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { id stock }
}`;
const RESERVE = `mutation Reserve($orderId: ID!, $lines: [StockLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { orderId status lines { productId quantity } }
}`;
const RELEASE = `mutation Release($orderId: ID!) {
  releaseStock(orderId: $orderId) { orderId status }
}`;
const CLAIM = `mutation Claim($orderId: ID!) { claimStock(orderId: $orderId) { orderId status } }`;
const STOCK = 'query Stock($id: ID!) { product(id: $id) { stock } }';
/** A federation subgraph's own SDL: tells whether this products has claimStock. */
const SDL = '{ _service { sdl } }';

interface Reservation {
  orderId: string;
  status: string;
  lines: { productId: string; quantity: number }[];
}

interface Target {
  url: string;
  productId: string;
  /** Service token with products:reserve, as orders holds. */
  service: string;
  admin: string;
}

/** One run's figures: the timed reservations, and the release of what they held. */
interface StateRun {
  label: string;
  reserve: LatencySummary;
  release: LatencySummary;
  cpu: CpuUse | null;
  loadBefore: number;
  loadAfter: number;
}

export async function benchReservations(options: RunOptions, command: string): Promise<string> {
  const holds = options.holds ?? 10_000;
  checkClosedLoopOptions(options);
  if (!Number.isInteger(holds) || holds < 0) {
    throw new Error(`--holds must be a whole number of 0 or more, not ${holds}`);
  }
  // The load generator issues the tokens (a test issuer), so no users service is needed.
  const issuer = await startTokenIssuer();
  let products: Child<{ url: string }> | null = null;
  try {
    products = await startChild<{ url: string }>('products.ts', {
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: issuer.audience,
      seed: false,
    });
    const pids = { 'load generator': process.pid, products: products.pid };
    return await runBenchmark(products.info.url, issuer, pids, holds, options, command);
  } finally {
    await products?.stop();
    await issuer.stop();
  }
}

async function runBenchmark(
  url: string,
  issuer: TokenIssuer,
  pids: Record<string, number>,
  holds: number,
  options: RunOptions,
  command: string,
): Promise<string> {
  const admin = issuer.userToken({ roles: ['ADMIN'] }, { expiresIn: TOKEN_LIFETIME });
  const service = issuer.serviceToken('orders', ['products:reserve'], {
    expiresIn: TOKEN_LIFETIME,
  });
  const { id: productId } = (
    await call<{ createProduct: { id: string } }>(
      url,
      CREATE_PRODUCT,
      {
        input: {
          sku: `BENCH-HOLDS-${Date.now().toString(36)}`,
          name: 'Espresso Cup',
          price: { amount: 1999, currency: 'EUR' },
          stock: INITIAL_STOCK,
        },
      },
      admin,
    )
  ).createProduct;
  const target: Target = { url, productId, service, admin };
  const { sdl } = (await call<{ _service: { sdl: string } }>(url, SDL, {}))._service;
  const claims = /\bclaimStock\s*\(/.test(sdl);

  const fresh = await runState(target, pids, 'no outstanding holds', 0, options);

  // The unpaid holds: placed by as many callers as the timed runs use, and left outstanding.
  const placingStarted = performance.now();
  await inParallel(options.connections, holds, async () => {
    const orderId = await reserve(target);
    if (claims) await claim(target, orderId);
  });
  const placingSeconds = (performance.now() - placingStarted) / 1000;
  await expectStock(target, INITIAL_STOCK - holds, `after placing ${holds} holds`);

  const held = await runState(target, pids, `${holds} outstanding holds`, holds, options);

  const notes = [
    ...[fresh, held].flatMap((run) => [
      ...(run.cpu ? [cpuNote(run.label, run.cpu)] : []),
      `Load average (1 min) with ${run.label}: ${run.loadBefore.toFixed(2)} before the warm-up, ${run.loadAfter.toFixed(2)} after the run.`,
    ]),
    `Placing the ${holds} holds (untimed above; ${options.connections} callers${claims ? ', each hold claimed with claimStock once placed' : ''}): ${placingSeconds.toFixed(1)} s, ${(holds / Math.max(placingSeconds, 1e-9)).toFixed(1)} reservations/s.`,
    `Verified: after each run, once its reservations were released, the product's stock was ${INITIAL_STOCK} less the outstanding holds (${INITIAL_STOCK} then ${INITIAL_STOCK - holds}). Errors: 0.`,
    `Per unit: reserveStock of 1 unit of the one product for a fresh order id (a UUID), answer checked (RESERVED, the line). The warm-up's reservations are released before the measured run starts, so a run begins with only the outstanding holds named; those of the measured run add to them while it runs (count column). Afterwards the run's reservations are released by the same number of callers (the releaseStock rows).`,
    'The machine is shared (others run tests on the same cores), so figures vary from run to run.',
  ]
    .map((line) => `- ${line}`)
    .join('\n');
  return appendSection('reservations.md', 'Benchmark: stock reservations of one product', {
    command,
    load: `${options.connections} concurrent callers (closed loop, keep-alive HTTP through Node's fetch) straight to the products subgraph with a products:reserve service token, ${options.durationSeconds} s measured after ${options.warmupSeconds} s warm-up, on one product; the load generator and products each in a process of its own on this machine, with the stores (FerretDB on PostgreSQL, PostgreSQL).`,
    columns: ['operation', 'count', 'per s', 'mean', 'p50', 'p99', 'p99.9', 'max'],
    rows: [fresh, held].flatMap((run) => [
      latencyRow(`reserveStock, ${run.label}`, run.reserve),
      latencyRow(`↳ releaseStock of those, afterwards`, run.release),
    ]),
    notes,
  });
}

/** Warm-up (released again), the measured run, then the release of the run's reservations. */
async function runState(
  target: Target,
  pids: Record<string, number>,
  label: string,
  outstanding: number,
  options: RunOptions,
): Promise<StateRun> {
  const loadBefore = os.loadavg()[0]!;
  const warmup = await closedLoop(options.connections, options.warmupSeconds, target);
  await inParallel(options.connections, warmup.orderIds.length, (i) =>
    release(target, warmup.orderIds[i]!),
  );
  await expectStock(target, INITIAL_STOCK - outstanding, `after the warm-up with ${label}`);

  const before = cpuSnapshot(pids);
  const measured = await closedLoop(options.connections, options.durationSeconds, target);
  const after = cpuSnapshot(pids);
  const loadAfter = os.loadavg()[0]!;
  const reserved = measured.latencies.summary(measured.elapsedSeconds);

  const releases = new Latencies();
  const releaseStarted = performance.now();
  await inParallel(options.connections, measured.orderIds.length, async (i) => {
    const t0 = performance.now();
    await release(target, measured.orderIds[i]!);
    releases.add(performance.now() - t0);
  });
  const releaseSeconds = (performance.now() - releaseStarted) / 1000;
  await expectStock(target, INITIAL_STOCK - outstanding, `after the run with ${label}`);
  return {
    label,
    reserve: reserved,
    release: releases.summary(releaseSeconds),
    cpu: before && after ? cpuUse(before, after, reserved.count) : null,
    loadBefore,
    loadAfter,
  };
}

/** `callers` closed loops of reservations until `seconds` are up; the first error fails all. */
async function closedLoop(
  callers: number,
  seconds: number,
  target: Target,
): Promise<{ latencies: Latencies; orderIds: string[]; elapsedSeconds: number }> {
  const latencies = new Latencies();
  const orderIds: string[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let failure: unknown = null;
  const caller = async () => {
    while (failure === null && performance.now() < deadline) {
      try {
        const t0 = performance.now();
        orderIds.push(await reserve(target));
        latencies.add(performance.now() - t0);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  if (failure !== null) throw failure;
  return { latencies, orderIds, elapsedSeconds: (performance.now() - started) / 1000 };
}

/** Runs `task(0..count-1)` with at most `callers` at a time; the first error fails all. */
async function inParallel(
  callers: number,
  count: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && next < count) {
      const index = next;
      next += 1;
      await task(index).catch((error: unknown) => {
        failure ??= error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(callers, count) }, worker));
  if (failure !== null) throw failure;
}

/** One unit for a fresh order; returns the order id once the answer checks out. */
async function reserve(target: Target): Promise<string> {
  const orderId = randomUUID();
  const { reserveStock } = await call<{ reserveStock: Reservation }>(
    target.url,
    RESERVE,
    { orderId, lines: [{ productId: target.productId, quantity: 1 }] },
    target.service,
  );
  const line = reserveStock.lines[0];
  if (
    reserveStock.orderId !== orderId ||
    reserveStock.status !== 'RESERVED' ||
    reserveStock.lines.length !== 1 ||
    line?.productId !== target.productId ||
    line.quantity !== 1
  ) {
    throw new Error(`reserveStock: unexpected answer ${JSON.stringify(reserveStock)}`);
  }
  return orderId;
}

/** The order was written (orders' step after reserving): the hold no longer expires. */
async function claim(target: Target, orderId: string): Promise<void> {
  const { claimStock } = await call<{ claimStock: { orderId: string; status: string } }>(
    target.url,
    CLAIM,
    { orderId },
    target.service,
  );
  if (claimStock.orderId !== orderId || claimStock.status !== 'RESERVED') {
    throw new Error(`claimStock: unexpected answer ${JSON.stringify(claimStock)}`);
  }
}

async function release(target: Target, orderId: string): Promise<void> {
  const { releaseStock } = await call<{ releaseStock: { orderId: string; status: string } }>(
    target.url,
    RELEASE,
    { orderId },
    target.service,
  );
  if (releaseStock.orderId !== orderId || releaseStock.status !== 'RELEASED') {
    throw new Error(`releaseStock: unexpected answer ${JSON.stringify(releaseStock)}`);
  }
}

async function expectStock(target: Target, expected: number, when: string): Promise<void> {
  const { product } = await call<{ product: { stock: number } | null }>(
    target.url,
    STOCK,
    { id: target.productId },
    target.admin,
  );
  if (product?.stock !== expected) {
    throw new Error(`stock ${when}: ${product?.stock}, expected ${expected}`);
  }
}

function cpuNote(label: string, cpu: CpuUse): string {
  return `CPU per reservation with ${label}, ms: ${cpuList(cpu.perUnitMs)}; stores (anyone's use counts; FerretDB stores in PostgreSQL): ${cpuList(cpu.serversPerUnitMs)}. All cores ${Math.round(cpu.machineBusy * 100)} % busy during the measured run.`;
}
