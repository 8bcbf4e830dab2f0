import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@shop/logging';
import { counter, metricsHandler, scrapedGauge, startProcessMetrics } from '../src';

// GET /metrics as a listener serves it, over real HTTP.
let server: http.Server;
let url: string;
beforeAll(async () => {
  startProcessMetrics('metrics-test');
  server = http.createServer(metricsHandler(createLogger('metrics-test', 'silent')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

async function scrape(): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('the process registry', () => {
  it('serves the process defaults with the service label, and nothing but GET /metrics', async () => {
    expect(await scrape()).toMatch(/^process_resident_memory_bytes\{service="metrics-test"\} \d+/m);
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('gives a second definition of a metric the first one, so two instances share its series', async () => {
    const first = counter({
      name: 'shop_test_things_total',
      help: 'Things.',
      labelNames: ['kind'],
    });
    const second = counter({
      name: 'shop_test_things_total',
      help: 'Things.',
      labelNames: ['kind'],
    });
    expect(second).toBe(first);
    first.inc({ kind: 'a' });
    second.inc({ kind: 'a' });
    expect(await scrape()).toMatch(
      /^shop_test_things_total\{kind="a",service="metrics-test"\} 2$/m,
    );
  });
});

describe('scraped gauges', () => {
  it('appear with their first source, read it on each scrape, and drop a removed one', async () => {
    const gauge = scrapedGauge('shop_test_backlog', 'A backlog.', ['queue']);
    expect(await scrape()).not.toContain('shop_test_backlog');
    let reads = 0;
    const remove = gauge.add(async () => {
      reads += 1;
      return [{ labels: { queue: 'a' }, value: reads * 10 }];
    });
    const other = gauge.add(async () => [{ labels: { queue: 'b' }, value: 7 }]);
    expect(await scrape()).toMatch(/^shop_test_backlog\{queue="a",service="metrics-test"\} 10$/m);
    expect(await scrape()).toMatch(/^shop_test_backlog\{queue="a",service="metrics-test"\} 20$/m);
    remove();
    const text = await scrape();
    expect(text).not.toMatch(/queue="a"/);
    expect(text).toMatch(/^shop_test_backlog\{queue="b",service="metrics-test"\} 7$/m);
    other();
  });

  it('leave out a source that fails, keep the others, and count the failure', async () => {
    const gauge = scrapedGauge('shop_test_rows', 'Rows.', ['table']);
    const good = gauge.add(async () => [{ labels: { table: 'ok' }, value: 3 }]);
    const bad = gauge.add(async () => {
      throw new Error('the store is down');
    });
    const text = await scrape();
    expect(text).toMatch(/^shop_test_rows\{table="ok",service="metrics-test"\} 3$/m);
    expect(await scrape()).toMatch(
      /^shop_metrics_source_failures_total\{metric="shop_test_rows",service="metrics-test"\} [1-9]/m,
    );
    good();
    bad();
  });
});
