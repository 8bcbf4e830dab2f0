// What a subgraph spends on a request besides the work asked for: a subgraph started by
// startSubgraph over resolvers with nothing behind them (processes/plain-subgraph.ts), so
// all it costs is the plumbing every subgraph runs per request — Express, the body parser,
// Apollo Server and its plugins, context creation, logging. Anonymous, with autocannon:
// `{ __typename }` (no resolver) and 50 items of 4 fields (the per-field share).
// A cut in packages/subgraph-kit or packages/logging shows here as CPU per request.
//   npm run bench -- overhead [--connections N] [--duration S] [--warmup S]
// TEST_LOG_LEVEL=info runs the subgraph at production's log level (default: silent).
import os from 'node:os';
import { cpuSnapshot, cpuUse } from './cpu';
import { measure, record, type Figure, type RunOptions } from './harness';
import { startChild } from './processes/child';

const TARGETS = [
  { name: 'plain subgraph: { __typename }', query: 'query Overhead { __typename }' },
  {
    name: 'plain subgraph: 50 items × 4 fields',
    query: 'query Items { items(count: 50) { id name price tags } }',
  },
];

export async function benchOverhead(options: RunOptions, command: string): Promise<string> {
  const subgraph = await startChild<{ url: string }>('plain-subgraph.ts', {});
  try {
    const figures: Figure[] = [];
    const notes: string[] = [];
    const loadBefore = os.loadavg()[0]!;
    for (const { name, query } of TARGETS) {
      const body = JSON.stringify({ query });
      // A wrong answer measured fast is no benchmark: check one response first.
      const check = (await (
        await fetch(subgraph.info.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
      ).json()) as { data?: unknown; errors?: unknown };
      if (!check.data || check.errors) {
        throw new Error(`${name}: unexpected response ${JSON.stringify(check).slice(0, 300)}`);
      }
      const pids = { subgraph: subgraph.pid };
      const before = cpuSnapshot(pids);
      const figure = await measure({ name, url: subgraph.info.url, body }, options);
      const after = cpuSnapshot(pids);
      if (figure.errors || figure.non2xx) {
        throw new Error(`${name}: ${figure.errors} errors, ${figure.non2xx} non-2xx responses`);
      }
      figures.push(figure);
      // The rate is the measured part's mean; the CPU covers the warm-up too.
      const requests = figure.requestsPerSecond * (options.durationSeconds + options.warmupSeconds);
      const cpu = before && after ? cpuUse(before, after, requests) : null;
      if (cpu) {
        notes.push(
          `- ${name}: the subgraph used ${(cpu.perUnitMs[0]!.ms * 1000).toFixed(0)} µs of CPU per request (warm-up included, requests estimated from the rate); all cores ${Math.round(cpu.machineBusy * 100)} % busy.`,
        );
      }
    }
    notes.push(
      `- Anonymous; log level ${process.env.TEST_LOG_LEVEL ?? 'silent'} (TEST_LOG_LEVEL). Load average (1 min) before ${loadBefore.toFixed(2)}, after ${os.loadavg()[0]!.toFixed(2)}: the machine is shared.`,
    );
    return record(
      'overhead.md',
      'Benchmark: what a subgraph spends per request',
      command,
      options,
      figures,
      notes.join('\n'),
    );
  } finally {
    await subgraph.stop();
  }
}
