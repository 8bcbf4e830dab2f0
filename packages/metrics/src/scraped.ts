import { counter, gauge } from './registry';

/** One series of a gauge read on scrape: its labels and value. */
export interface Sample<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/** Reads the current values when Prometheus scrapes; may fail (the store is down). */
export type SampleSource<L extends string> = () => Promise<Sample<L>[]>;

export interface ScrapedGauge<L extends string> {
  /** Adds a source (a queue set, an outbox); the returned function removes it (on stop). */
  add(source: SampleSource<L>): () => void;
}

/**
 * Longest a source may take on one scrape. Prometheus' default scrape timeout is 10 s; a
 * store that does not answer must cost one missing series, not a failed scrape that hides
 * the process metrics (which would show what is wrong) with it.
 */
const SOURCE_TIMEOUT_MS = 2_000;

function withinTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('metrics source timed out')), SOURCE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Each scraped gauge's sources, by metric name: one gauge per name in the process. */
const sourcesByName = new Map<string, Set<SampleSource<string>>>();

/** The sources of gauge `name`, registering the gauge on first use. */
function sourcesOf<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
): Set<SampleSource<L>> {
  const known = sourcesByName.get(name) as Set<SampleSource<L>> | undefined;
  if (known) return known;
  const sources = new Set<SampleSource<L>>();
  sourcesByName.set(name, sources as Set<SampleSource<string>>);
  const failures = counter({
    name: 'shop_metrics_source_failures_total',
    help: 'Scrapes on which a store behind a gauge (Redis, PostgreSQL) failed or timed out; its series were left out. Counted as that scrape is collected, so it shows from the next one.',
    labelNames: ['metric'],
  });
  gauge<L>({
    name,
    help,
    labelNames,
    async collect() {
      const read = await Promise.allSettled([...sources].map((source) => withinTimeout(source())));
      this.reset();
      for (const result of read) {
        if (result.status === 'rejected') failures.inc({ metric: name });
        else for (const { labels, value } of result.value) this.set(labels, value);
      }
    },
  });
  return sources;
}

/**
 * A gauge whose values are read from stores (Redis, PostgreSQL) when Prometheus scrapes,
 * nowhere else: nothing polls between scrapes, and a process nobody scrapes pays nothing.
 * Its sources are added and removed as the parts that own them start and stop; the gauge
 * appears with the first source, so a service without an outbox shows no outbox series. A
 * source that fails or is slow leaves its series out of that scrape and counts in
 * `shop_metrics_source_failures_total`.
 */
export function scrapedGauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
): ScrapedGauge<L> {
  return {
    add(source) {
      const sources = sourcesOf(name, help, labelNames);
      sources.add(source);
      return () => sources.delete(source);
    },
  };
}
