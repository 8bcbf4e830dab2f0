import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** What a process script prints once it is listening: one JSON line. */
export function announce(info: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ready: info })}\n`);
}

/**
 * BENCH_TRACING=1: every service process starts OpenTelemetry first (docs/tracing.md), to
 * measure what tracing costs; OTEL_EXPORTER_OTLP_ENDPOINT says where the spans go.
 */
const tracingOptions =
  process.env.BENCH_TRACING === '1'
    ? [
        '--import',
        'tsx',
        '--import',
        path.resolve(__dirname, '../../../packages/telemetry/src/preload.ts'),
      ]
    : [];

export interface Child<T> {
  info: T;
  /** The process id, to read what the process cost (CPU time) while it was loaded. */
  pid: number;
  stop: () => Promise<void>;
}

/**
 * Starts one service in a process of its own (as in production), so the load generator,
 * the router and each subgraph each get their own event loop. Resolves with what the
 * script announced.
 */
export function startChild<T>(
  script: string,
  input: Record<string, unknown>,
  /** Node options for this process, e.g. --cpu-prof (bench/src/profile.ts). */
  nodeOptions: readonly string[] = [],
  /** More environment for this process (e.g. OTEL_*), on top of this process's own. */
  env: Record<string, string> = {},
): Promise<Child<T>> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...nodeOptions,
      ...tracingOptions,
      '--import',
      'tsx',
      path.join(__dirname, script),
      JSON.stringify(input),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`${script} exited with code ${code} before it was ready`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"ready"')) return;
      child.removeAllListeners('exit');
      resolve({
        info: (JSON.parse(line) as { ready: T }).ready,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            // A process that died under load has nothing left to stop (and no exit to wait for).
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** For process scripts: the JSON input and a SIGTERM handler that runs `stop`. */
export function childInput<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

export function stopOnSigterm(stop: () => Promise<void>): void {
  process.once('SIGTERM', () => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
