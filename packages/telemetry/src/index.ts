import path from 'node:path';
import type { BullMQOtel } from 'bullmq-otel';
import { bullmqTelemetry } from './bullmq';
import { loadTelemetryConfig, tracingWanted } from './config';
import type { StartedSdk } from './sdk';

export * from './context';
export { loadTelemetryConfig, tracingWanted, tracesProtocol, type TelemetryConfig } from './config';

let started: { sdk: StartedSdk; bullmq: BullMQOtel } | null = null;

/**
 * Starts OpenTelemetry tracing for this process when an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); otherwise does
 * nothing at all. Call it from a module that the entry point imports first (each service's
 * src/tracing.ts): the instrumentations patch pg, ioredis, http... only as they are loaded
 * after this.
 *
 * `service` is the default service.name; a `src/worker.ts` entry point adds `-worker`
 * (orders-worker), and OTEL_SERVICE_NAME overrides both. Invalid OTEL_* values stop the
 * process at start-up, like any other configuration.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (started) return true;
  const config = loadTelemetryConfig(env);
  if (!tracingWanted(config)) return false;
  const entry = path.basename(process.argv[1] ?? '', path.extname(process.argv[1] ?? ''));
  const name = config.OTEL_SERVICE_NAME ?? (entry === 'worker' ? `${service}-worker` : service);
  // Required here, not imported: with tracing off the SDK and its patches are never loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startSdk } = require('./sdk') as typeof import('./sdk');
  started = { sdk: startSdk(name, config), bullmq: bullmqTelemetry() };
  return true;
}

/** BullMQ's `telemetry` option: jobs carry and continue trace context; undefined when off. */
export function queueTelemetry(): BullMQOtel | undefined {
  return started?.bullmq;
}

/** How long a stopping process waits for its last spans to be exported. */
const FLUSH_ON_STOP_MS = 3000;

/**
 * Exports the spans still buffered and stops tracing (graceful shutdown): at most 3 s, so a
 * tracing backend that is down never holds a stopping process back.
 */
export async function stopTracing(): Promise<void> {
  const current = started;
  started = null;
  if (!current) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    current.sdk.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FLUSH_ON_STOP_MS);
    }),
  ]);
  clearTimeout(timer);
}
