// Checkouts per second end to end: customers put one unit in their cart and check out with
// Stripe, through the router, against users, products, cart and orders (each a process of
// its own) and stripe-mock. Every answer is checked and the totals are checked against the
// orders database and the product's stock afterwards; a run with any error is not recorded.
//   npm run bench -- checkout [--connections N] [--duration S] [--products P] [--profile]
// --products P spreads the customers over P products (customer i buys product i mod P); the
// default, 1, has every customer buy the same one, the hot product of a sale. --profile runs
// each shop process under V8's profiler (profile.ts); `npm run profile -w bench` summarises.
//
// Not autocannon: a checkout needs a filled cart, so each virtual customer runs a two-step
// flow (addToCart, then checkout with a fresh idempotency key and its own address), which a
// fixed-request load generator cannot express. Each customer is a closed loop: its next
// step starts when the previous answer arrived. Requests go through Node's fetch, which
// keeps connections alive, so up to N connections stay open to the router.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ORDERS_OAUTH_CLIENTS, STRIPE_MOCK_URL } from '@shop/orders/testing';
import { queryDatabase, REPO_ROOT, waitFor } from '@shop/test-harness';
import { ADMIN } from '@shop/users/testing';
import { call } from './call';
import { cpuList, cpuSnapshot, cpuUse, type CpuUse } from './cpu';
import { appendSection, checkClosedLoopOptions, type RunOptions } from './harness';
import { Latencies, latencyRow, ms, type LatencySummary } from './latency';
import { startChild, type Child } from './processes/child';
import {
  clearProfiles,
  monotonicMicros,
  PROFILES_DIR,
  profilerOptions,
  writeProfileWindow,
} from './profile';

/** Big enough never to sell out during a run, so every checkout can succeed. */
const INITIAL_STOCK = 1_000_000;
const PRICE = { amount: 1999, currency: 'EUR' };
/** The production default; a checkout holds one connection while it runs. */
const ORDERS_POOL_SIZE = '20';

// What a storefront asks for at each step: no more than its pages show.
const LOGIN = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken }
}`;
const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken user { id } }
}`;
const ADD_ADDRESS = `mutation AddAddress($input: AddressInput!) { addAddress(input: $input) { id } }`;
const CREATE_PRODUCT = `mutation CreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { id stock }
}`;
const ADD_TO_CART = `mutation AddToCart($productId: ID!, $quantity: Int!) {
  addToCart(productId: $productId, quantity: $quantity) { itemCount subtotal { amount currency } }
}`;
const CHECKOUT = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    order { id status total { amount currency } }
    payment { provider clientSecret providerReference }
  }
}`;
const CART = 'query Cart { cart { itemCount } }';
const STOCK = 'query Stock($id: ID!) { product(id: $id) { stock } }';

interface CheckoutAnswer {
  order: { id: string; status: string; total: { amount: number; currency: string } };
  payment: { provider: string; clientSecret: string | null; providerReference: string };
}

interface Customer {
  email: string;
  token: string;
  addressId: string;
  /** The product this customer buys, again and again. */
  productId: string;
}

interface Phase {
  checkouts: Latencies;
  addToCart: Latencies;
  elapsedSeconds: number;
}

interface ServiceUrls {
  usersUrl: string;
  productsUrl: string;
  cartUrl: string;
  ordersUrl: string;
  databaseUrl: string;
  stripeApiUrl: string;
  routerUrl: string;
  /** With --trace: the timing proxy's figures for orders' calls. */
  traceStatsUrl?: string;
}

export async function benchCheckout(options: RunOptions, command: string): Promise<string> {
  checkClosedLoopOptions(options);
  const products = options.products ?? 1;
  if (!Number.isInteger(products) || products < 1) {
    throw new Error(`--products must be a whole number of at least 1, not ${products}`);
  }
  if (options.profile) clearProfiles();
  const children: { name: string; child: Child<unknown> }[] = [];
  try {
    const urls = await startServices(children, options.trace ?? false, options.profile ?? false);
    const pids = Object.fromEntries([
      ['load generator', process.pid],
      ...children.map(({ name, child }) => [name, child.pid]),
    ]);
    return await runBenchmark(urls, pids, options, command);
  } finally {
    for (const { child } of children.reverse()) await child.stop();
  }
}

/**
 * users, products, cart, orders and the router, each in a process of its own; traced, with
 * a timing proxy between orders and what it calls.
 */
async function startServices(
  children: { name: string; child: Child<unknown> }[],
  trace: boolean,
  profile: boolean,
): Promise<ServiceUrls> {
  const start = async <T>(name: string, script: string, input: Record<string, unknown>) => {
    const child = await startChild<T>(script, input, profile ? profilerOptions(name) : []);
    children.push({ name, child });
    return child.info;
  };
  const users = await start<{ url: string; jwksUrl: string; issuer: string; audience: string }>(
    'users',
    'users.ts',
    {
      env: {
        // orders signs in with its OAuth client to read addresses and reserve stock.
        OAUTH_CLIENTS: ORDERS_OAUTH_CLIENTS,
        // Tokens outlive the longest run a person would start, so none expires mid-run.
        ACCESS_TOKEN_TTL_SECONDS: '3600',
      },
    },
  );
  const trust = { JWKS_URL: users.jwksUrl, JWT_ISSUER: users.issuer, JWT_AUDIENCE: users.audience };
  const products = await start<{ url: string }>('products', 'products.ts', {
    jwksUrl: users.jwksUrl,
    issuer: users.issuer,
    audience: users.audience,
    seed: false,
  });
  const cart = await start<{ url: string }>('cart', 'cart.ts', {
    ...trust,
    PRODUCTS_URL: products.url,
  });
  const called = {
    users: users.url,
    products: products.url,
    cart: cart.url,
    stripe: STRIPE_MOCK_URL,
  };
  const proxy = trace
    ? await start<{ urls: typeof called; statsUrl: string }>('timing proxy', 'timing-proxy.ts', {
        upstreams: called,
      })
    : null;
  const via = proxy?.urls ?? called;
  const orders = await start<{ url: string; databaseUrl: string }>('orders', 'orders.ts', {
    neighbours: {
      jwksUrl: users.jwksUrl,
      issuer: users.issuer,
      audience: users.audience,
      usersUrl: via.users,
      productsUrl: via.products,
      cartUrl: via.cart,
      stripeApiUrl: via.stripe,
    },
    env: { ORDERS_DATABASE_POOL_SIZE: ORDERS_POOL_SIZE, OUTBOX_RELAY_ENABLED: 'true' },
  });
  const router = await start<{ url: string }>('router', 'router.ts', {
    ...trust,
    USERS_SUBGRAPH_URL: users.url,
    PRODUCTS_SUBGRAPH_URL: products.url,
    CART_SUBGRAPH_URL: cart.url,
    ORDERS_SUBGRAPH_URL: orders.url,
  });
  return {
    usersUrl: users.url,
    productsUrl: products.url,
    cartUrl: cart.url,
    ordersUrl: orders.url,
    databaseUrl: orders.databaseUrl,
    stripeApiUrl: STRIPE_MOCK_URL,
    routerUrl: router.url,
    ...(proxy ? { traceStatsUrl: proxy.statsUrl } : {}),
  };
}

async function runBenchmark(
  urls: ServiceUrls,
  pids: Record<string, number>,
  options: RunOptions,
  command: string,
): Promise<string> {
  const router = urls.routerUrl;
  const admin = (await call<{ login: { accessToken: string } }>(router, LOGIN, ADMIN)).login
    .accessToken;
  const productIds: string[] = [];
  for (let i = 0; i < (options.products ?? 1); i += 1) {
    const product = (
      await call<{ createProduct: { id: string; stock: number } }>(
        router,
        CREATE_PRODUCT,
        {
          input: {
            sku: `BENCH-${Date.now().toString(36)}-${i}`,
            name: 'Espresso Cup',
            description: 'Stoneware, 90 ml.',
            price: PRICE,
            stock: INITIAL_STOCK,
          },
        },
        admin,
      )
    ).createProduct;
    productIds.push(product.id);
  }
  const customers = await registerCustomers(router, options.connections, productIds);
  const stripeAlone = await stripeMockLatency(urls.stripeApiUrl);

  const loadBefore = os.loadavg()[0]!;
  const warmup = await runPhase(router, customers, options.warmupSeconds);
  if (urls.traceStatsUrl) await fetch(urls.traceStatsUrl, { method: 'POST' });
  const before = cpuSnapshot(pids);
  const startMicros = monotonicMicros();
  const measured = await runPhase(router, customers, options.durationSeconds);
  const endMicros = monotonicMicros();
  const after = cpuSnapshot(pids);
  if (options.profile) {
    writeProfileWindow({
      startMicros,
      endMicros,
      units: measured.checkouts.count,
      unit: 'checkout',
      command,
    });
  }
  const traced = urls.traceStatsUrl
    ? ((await (await fetch(urls.traceStatsUrl)).json()) as Record<string, LatencySummary>)
    : {};
  const checkoutsPlaced = warmup.checkouts.count + measured.checkouts.count;
  const cpu = before && after ? cpuUse(before, after, measured.checkouts.count) : null;

  const verified = await verify(urls, admin, productIds, customers, checkoutsPlaced);

  const checkout = measured.checkouts.summary(measured.elapsedSeconds);
  const addToCart = measured.addToCart.summary(measured.elapsedSeconds);
  const notes = [
    `Verified after the run: ${verified.orders} orders in the orders database, all PENDING_PAYMENT with a Stripe payment and an \`order.expire\` outbox row (published by the relay) = ${checkoutsPlaced} checkouts answered (${warmup.checkouts.count} in the warm-up); ${productIds.length === 1 ? "the product's stock" : `the ${productIds.length} products' stock together`} fell from ${INITIAL_STOCK * productIds.length} to ${verified.stock}; every cart empty. Errors: 0.`,
    `Per unit: each customer adds 1 × ${PRICE.amount} ${PRICE.currency} product and checks out (paymentMethod STRIPE, own address, fresh idempotency key); only the checkout mutation is timed as \`checkout\`, the addToCart before it separately. ${productIds.length === 1 ? 'Every customer buys the same product.' : `Customers spread over ${productIds.length} products (customer i buys product i mod ${productIds.length}).`}`,
    ...(options.profile
      ? [
          `Profiled: every shop process ran under V8's sampling profiler (node --cpu-prof, 500 µs), which slows it; profiles in ${path.relative(REPO_ROOT, PROFILES_DIR)}/<process>/, summarised by \`npm run profile -w bench\`.`,
        ]
      : []),
    `stripe-mock alone (PaymentIntent create, one at a time, before the load): p50 ${ms(stripeAlone.p50)} ms, p99 ${ms(stripeAlone.p99)} ms.`,
    ...(cpu ? [cpuNote(cpu)] : []),
    `Load average (1 min) before the warm-up ${loadBefore.toFixed(2)}, after the run ${os.loadavg()[0]!.toFixed(2)}: the machine is shared, so figures vary from run to run.`,
  ]
    .map((line) => `- ${line}`)
    .join('\n');
  return appendSection('checkout.md', 'Benchmark: checkout end to end through the router', {
    command,
    load: `${options.connections} virtual customers${productIds.length === 1 ? '' : ` over ${productIds.length} products`} (closed loop, keep-alive HTTP through Node's fetch), ${options.durationSeconds} s measured after ${options.warmupSeconds} s warm-up; the load generator, the router, users, products, cart and orders (pool ${ORDERS_POOL_SIZE}, outbox relay on) each in a process of its own on this machine, with PostgreSQL, Redis, FerretDB and stripe-mock.${urls.traceStatsUrl ? " Traced: orders' calls to users, products, cart and Stripe pass a timing proxy (one more process and hop each; the ↳ rows), which makes checkouts slower than untraced." : ''}`,
    columns: ['operation', 'count', 'per s', 'mean', 'p50', 'p99', 'p99.9', 'max'],
    rows: [
      latencyRow('checkout (router → cart, users, products, Stripe, orders DB)', checkout),
      latencyRow('addToCart (router → cart → products)', addToCart),
      // Slowest first: where a checkout waits.
      ...Object.entries(traced)
        .sort(([, a], [, b]) => b.mean - a.mean)
        .map(([call, figures]) => latencyRow(`↳ orders → ${call}`, figures)),
    ],
    notes,
  });
}

function cpuNote(cpu: CpuUse): string {
  return `CPU per checkout (with its addToCart), ms: ${cpuList(cpu.perUnitMs)}; shared servers (anyone's use counts; FerretDB stores in PostgreSQL): ${cpuList(cpu.serversPerUnitMs)}. All cores ${Math.round(cpu.machineBusy * 100)} % busy during the measured run.`;
}

/** Sign-ups hash passwords, which is slow on purpose: a few at a time, not all at once. */
async function registerCustomers(
  router: string,
  count: number,
  productIds: readonly string[],
): Promise<Customer[]> {
  const customers: Customer[] = [];
  const run = Date.now().toString(36);
  let next = 0;
  const signUp = async () => {
    while (next < count) {
      const n = (next += 1);
      const email = `bench.${run}.${n}@shop.test`;
      const token = (
        await call<{ register: { accessToken: string } }>(router, REGISTER, {
          input: { email, password: 'bench password 123', name: `Bench Customer ${n}` },
        })
      ).register.accessToken;
      const address = (
        await call<{ addAddress: { id: string } }>(
          router,
          ADD_ADDRESS,
          {
            input: {
              line1: `Main Street ${n}`,
              city: 'Berlin',
              postalCode: '10115',
              country: 'DE',
            },
          },
          token,
        )
      ).addAddress;
      customers.push({
        email,
        token,
        addressId: address.id,
        productId: productIds[(n - 1) % productIds.length]!,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, count) }, signUp));
  return customers;
}

/**
 * Every customer loops addToCart → checkout until the phase's time is up (a step under way
 * then finishes). The first error stops every customer and fails the run.
 */
async function runPhase(router: string, customers: Customer[], seconds: number): Promise<Phase> {
  const phase = { checkouts: new Latencies(), addToCart: new Latencies() };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let failure: unknown = null;
  const shop = async (customer: Customer) => {
    while (failure === null && performance.now() < deadline) {
      try {
        const t0 = performance.now();
        const cart = (
          await call<{ addToCart: { itemCount: number; subtotal: { amount: number } } }>(
            router,
            ADD_TO_CART,
            { productId: customer.productId, quantity: 1 },
            customer.token,
          )
        ).addToCart;
        const t1 = performance.now();
        // The previous checkout emptied the cart, so it holds exactly the unit just added.
        if (cart.itemCount !== 1 || cart.subtotal.amount !== PRICE.amount) {
          throw new Error(
            `addToCart: expected 1 item of ${PRICE.amount}, got ${JSON.stringify(cart)}`,
          );
        }
        const { order, payment } = (
          await call<{ checkout: Partial<CheckoutAnswer> }>(
            router,
            CHECKOUT,
            {
              input: {
                paymentMethod: 'STRIPE',
                shippingAddressId: customer.addressId,
                idempotencyKey: randomUUID(),
              },
            },
            customer.token,
          )
        ).checkout;
        const t2 = performance.now();
        if (
          typeof order?.id !== 'string' ||
          order.status !== 'PENDING_PAYMENT' ||
          order.total?.amount !== PRICE.amount ||
          payment?.provider !== 'STRIPE' ||
          typeof payment.clientSecret !== 'string' ||
          payment.clientSecret === ''
        ) {
          throw new Error(`checkout: unexpected answer ${JSON.stringify({ order, payment })}`);
        }
        phase.addToCart.add(t1 - t0);
        phase.checkouts.add(t2 - t1);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(customers.map(shop));
  if (failure !== null) throw failure;
  return { ...phase, elapsedSeconds: (performance.now() - started) / 1000 };
}

/**
 * The answers counted are compared with what the shop holds: orders (with payment and outbox
 * row) in the orders database, the product's stock as the admin sees it, the carts.
 */
async function verify(
  urls: ServiceUrls,
  admin: string,
  productIds: readonly string[],
  customers: Customer[],
  checkouts: number,
): Promise<{ orders: number; stock: number }> {
  const count = async (sql: string) =>
    Number((await queryDatabase<{ n: string }>(urls.databaseUrl, sql))[0]!.n);
  const orders = await count('SELECT count(*) AS n FROM orders');
  const pending = await count(`SELECT count(*) AS n FROM orders WHERE status = 'PENDING_PAYMENT'`);
  const withStripePayment = await count(
    `SELECT count(DISTINCT order_id) AS n FROM payments WHERE provider = 'STRIPE' AND client_secret IS NOT NULL`,
  );
  const expiries = await count(`SELECT count(*) AS n FROM outbox WHERE topic = 'order.expire'`);
  const problems: string[] = [];
  if (orders !== checkouts) problems.push(`${orders} orders for ${checkouts} checkouts answered`);
  if (pending !== orders) problems.push(`${orders - pending} orders not PENDING_PAYMENT`);
  if (withStripePayment !== orders)
    problems.push(`${withStripePayment} Stripe payments for ${orders} orders`);
  if (expiries !== orders)
    problems.push(`${expiries} order.expire outbox rows for ${orders} orders`);
  // The relay publishes once a second; everything written must get out.
  await waitFor(
    async () => (await count('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')) === 0,
    { timeoutMs: 30_000, what: 'the outbox relay to publish every row' },
  ).catch((error: unknown) => problems.push(String(error)));

  let stock = 0;
  for (const id of productIds) {
    stock += (await call<{ product: { stock: number } }>(urls.routerUrl, STOCK, { id }, admin))
      .product.stock;
  }
  const initial = INITIAL_STOCK * productIds.length;
  if (stock !== initial - checkouts) {
    problems.push(`stock ${stock}, expected ${initial} - ${checkouts} = ${initial - checkouts}`);
  }
  for (const customer of customers) {
    const { itemCount } = (
      await call<{ cart: { itemCount: number } }>(urls.routerUrl, CART, {}, customer.token)
    ).cart;
    if (itemCount !== 0) problems.push(`${customer.email}'s cart still holds ${itemCount} items`);
  }
  if (problems.length)
    throw new Error(`the shop does not match the answers: ${problems.join('; ')}`);
  return { orders, stock };
}

/** How fast stripe-mock answers on its own, so its share of a checkout can be told. */
async function stripeMockLatency(stripeApiUrl: string, samples = 30): Promise<LatencySummary> {
  const url = new URL('/v1/payment_intents', stripeApiUrl);
  const latencies = new Latencies();
  for (let i = 0; i < samples; i += 1) {
    const t0 = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk_test_bench',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ amount: String(PRICE.amount), currency: 'eur' }).toString(),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`stripe-mock answered ${response.status}`);
    latencies.add(performance.now() - t0);
  }
  return latencies.summary(0);
}
