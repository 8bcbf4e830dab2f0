// What a log line and a request's child logger cost (@shop/logging's createLogger), in
// this process, into a sink that costs nothing: the logger's own work (fields, censoring,
// JSON), not the write to stdout. CPU time per call, best of 5 rounds.
//   npm run bench -- logging
import os from 'node:os';
import { Writable } from 'node:stream';
import { createLogger } from '@shop/logging';
import { appendSection, type RunOptions } from './harness';

function cpuPerCall(calls: number, call: (i: number) => void): number {
  let best = Infinity;
  for (let round = 0; round < 5; round += 1) {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i += 1) call(i);
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / calls);
  }
  return best;
}

export async function benchLogging(_options: RunOptions, command: string): Promise<string> {
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const logger = createLogger('router', 'info', sink);
  const silent = createLogger('orders', 'silent', sink);
  // The router's access-log line, and a business event with a nested object.
  const access = { requestId: 'f2b8e4a0-1234-4d3e-9a55-0f0e8b1c2d3e', method: 'POST', status: 200 };
  const placed = { orderId: 'o-1', total: { amount: 1999, currency: 'EUR' }, provider: 'STRIPE' };
  const child = logger.child({ requestId: 'req-1' });
  const rows: [string, number][] = [
    [
      'info line, flat fields (access log)',
      cpuPerCall(100_000, () => logger.info(access, 'request')),
    ],
    ['info line, a nested object', cpuPerCall(100_000, () => logger.info(placed, 'order placed'))],
    [
      "a request's child logger: child({ requestId })",
      cpuPerCall(200_000, (i) => silent.child({ requestId: `r-${i}` })),
    ],
    ['info line of a child logger', cpuPerCall(100_000, () => child.info(placed, 'order placed'))],
  ];
  return appendSection('logging.md', 'Benchmark: what logging costs per line', {
    command,
    load: 'one process, no HTTP: calls in a loop into a sink that costs nothing; CPU µs per call, best of 5 rounds of 100,000 (child loggers 200,000).',
    columns: ['call', 'CPU µs per call'],
    rows: rows.map(([name, micros]) => [name, micros.toFixed(2)]),
    notes: `- Load average (1 min) ${os.loadavg()[0]!.toFixed(2)}: the machine is shared.`,
  });
}
