import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Metric,
} from 'prom-client';

/**
 * The one registry of this process: every metric of every part of the service (router
 * plugin, queue gauges, domain counters) lands here, and GET /metrics serves it whole.
 * prom-client's own global registry is left alone so a library that registers into it
 * cannot clash with or leak into ours.
 */
export const registry = new Registry();

let processMetricsStarted = false;

/**
 * Process defaults (CPU, resident memory, heap, GC, event-loop lag, open handles) and the
 * `service` label on every series. Once per process; a second call (another service started
 * in the same test process) changes nothing.
 */
export function startProcessMetrics(service: string): void {
  if (processMetricsStarted) return;
  processMetricsStarted = true;
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
}

/**
 * The metric registered under `name`, created on first use. Modules define their metrics
 * where they count, at import time or per instance; several instances in one process (tests
 * start two routers) share the series instead of failing on a duplicate name.
 */
function named<M extends Metric>(name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function counter<L extends string>(
  config: Omit<CounterConfiguration<L>, 'registers'>,
): Counter<L> {
  return named(config.name, () => new Counter({ ...config, registers: [registry] }));
}

export function histogram<L extends string>(
  config: Omit<HistogramConfiguration<L>, 'registers'>,
): Histogram<L> {
  return named(config.name, () => new Histogram({ ...config, registers: [registry] }));
}

export function gauge<L extends string>(
  config: Omit<GaugeConfiguration<L>, 'registers'>,
): Gauge<L> {
  return named(config.name, () => new Gauge({ ...config, registers: [registry] }));
}

/**
 * Request and fetch durations, in seconds: 5 ms to 10 s, dense where the shop's answers
 * are (tens of milliseconds), so a p99 from histogram_quantile is within one bucket.
 */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
