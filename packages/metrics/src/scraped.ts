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

/**
 * A gauge whose values are read from stores (Redis, PostgreSQL) when Prometheus scrapes,
 * nowhere else: nothing polls between scrapes, and a process nobody scrapes pays nothing.
 * Its sources are added and removed as the parts that own them start and stop. A source
 * that fails or is slow leaves its series out of that scrape and counts in
 * `shop_metrics_source_failures_total`.
 */
export function scrapedGauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
): ScrapedGauge<L> {
  let sources = sourcesByName.get(name) as Set<SampleSource<L>> | undefined;
  if (!sources) {
    const own = new Set<SampleSource<L>>();
    sources = own;
    sourcesByName.set(name, own as Set<SampleSource<string>>);
    const failures = counter({
      name: 'shop_metrics_source_failures_total',
      help: 'Scrapes on which a store behind a gauge (Redis, PostgreSQL) failed or timed out; its series were left out.',
      labelNames: ['metric'],
    });
    gauge<L>({
      name,
      help,
      labelNames,
      async collect() {
        const read = await Promise.allSettled([...own].map((source) => withinTimeout(source())));
        this.reset();
        for (const result of read) {
          if (result.status === 'rejected') failures.inc({ metric: name });
          else for (const { labels, value } of result.value) this.set(labels, value);
        }
      },
    });
  }
  const set = sources;
  return {
    add(source) {
      set.add(source);
      return () => set.delete(source);
    },
  };
}
