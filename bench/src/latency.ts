// Latency samples of one operation, kept whole (a run has thousands, not millions) so the
// percentiles are exact rather than bucketed.

export interface LatencySummary {
  count: number;
  perSecond: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export class Latencies {
  private readonly samples: number[] = [];

  add(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  /** Figures in milliseconds; `perSecond` over the given wall-clock time. */
  summary(elapsedSeconds: number): LatencySummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const n = sorted.length;
    // Nearest-rank percentile: the smallest sample that at least q of all samples do not exceed.
    const at = (q: number) => (n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]! : 0);
    return {
      count: n,
      perSecond: elapsedSeconds > 0 ? n / elapsedSeconds : 0,
      mean: n ? sorted.reduce((sum, v) => sum + v, 0) / n : 0,
      p50: at(0.5),
      p99: at(0.99),
      p999: at(0.999),
      max: n ? sorted[n - 1]! : 0,
    };
  }
}

/** Milliseconds as the results tables show them. */
export function ms(value: number): string {
  return value.toFixed(1);
}

/** The row of a results table: operation, count, per s, mean, p50, p99, p99.9, max. */
export function latencyRow(name: string, s: LatencySummary): string[] {
  return [
    name,
    String(s.count),
    s.perSecond.toFixed(1),
    ...[s.mean, s.p50, s.p99, s.p999, s.max].map(ms),
  ];
}
