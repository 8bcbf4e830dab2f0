import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

export interface Target {
  /** Shown in the results table, e.g. "router" or "users subgraph". */
  name: string;
  url: string;
  headers?: Record<string, string>;
  body: string;
}

export interface RunOptions {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Time the calls a service makes (the checkout benchmark: orders') through a proxy. */
  trace?: boolean;
  /** Checkout: how many products the customers spread over (1: all buy the same one). */
  products?: number;
  /** Checkout: each shop process under V8's CPU profiler (profile.ts). */
  profile?: boolean;
  /** Reservations: unpaid holds placed on the product before the second run. */
  holds?: number;
}

/** The closed-loop benchmarks' (checkout, reservations) own checks of the common options. */
export function checkClosedLoopOptions(options: RunOptions): void {
  if (!Number.isInteger(options.connections) || options.connections < 1) {
    throw new Error(
      `--connections must be a whole number of at least 1, not ${options.connections}`,
    );
  }
  if (!(options.durationSeconds > 0) || !(options.warmupSeconds >= 0)) {
    throw new Error(
      `--duration must be a number of seconds above 0 and --warmup one of 0 or more, not ${options.durationSeconds} and ${options.warmupSeconds}`,
    );
  }
}

export interface Figure {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * Loads one target with autocannon after a short warm-up (JIT, pools, plan cache) and
 * returns throughput and latency. A benchmark that returned errors is not a benchmark:
 * the caller refuses to record it.
 */
export async function measure(target: Target, options: RunOptions): Promise<Figure> {
  const common = {
    url: target.url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: target.body,
    connections: options.connections,
  };
  await autocannon({ ...common, duration: options.warmupSeconds });
  const result = await autocannon({ ...common, duration: options.durationSeconds });
  return {
    name: target.name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Appends a dated section with the command, the machine and the figures to a results file. */
export function record(
  file: string,
  title: string,
  command: string,
  options: RunOptions,
  figures: Figure[],
  notes = '',
): string {
  return appendSection(file, title, {
    command,
    load: `${options.connections} connections, ${options.durationSeconds} s per target after ${options.warmupSeconds} s warm-up; autocannon, the router and each service in separate processes on this machine.`,
    columns: ['target', 'requests/s', 'p50', 'p99', 'errors'],
    rows: figures.map((f) => [f.name, f.requestsPerSecond, f.p50, f.p99, f.errors + f.non2xx]),
    notes,
  });
}

export interface Section {
  command: string;
  /** How the load was applied: connections, duration, warm-up, which processes. */
  load: string;
  /** Table columns; every column after the first is right-aligned (figures). */
  columns: string[];
  rows: (string | number)[][];
  notes?: string;
}

/**
 * Appends a dated section (commit, command, machine, load, a table of figures, notes) to
 * bench/results/<file>, creating the file with its title first.
 */
export function appendSection(file: string, title: string, section: Section): string {
  const target = path.resolve(__dirname, '../results', file);
  if (!existsSync(target))
    writeFileSync(target, `# ${title}\n\nEach run appends a section. Latencies in milliseconds.\n`);
  const commit = (() => {
    try {
      return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const text = [
    '',
    `## ${new Date().toISOString()} (commit ${commit})`,
    '',
    `Command: \`${section.command}\``,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    `Load: ${section.load}`,
    '',
    `| ${section.columns.join(' | ')} |`,
    `|${section.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...section.rows.map((row) => `| ${row.join(' | ')} |`),
    ...(section.notes ? ['', section.notes] : []),
    '',
  ].join('\n');
  appendFileSync(target, text);
  return text;
}
