// A service process's event-loop delay and garbage-collection pauses since the last reading,
// for benchmarks that must tell a slow event apart: this process paused, or another did.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopReading {
  p99Ms: number;
  maxMs: number;
  /** Garbage collection pauses: the longest, their sum and how many. */
  gc: { maxMs: number; totalMs: number; count: number };
}

/** Starts watching; each `read()` answers since the previous one. */
export function loopMonitor(): { read: () => LoopReading } {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let pauses = { maxMs: 0, totalMs: 0, count: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses = {
        maxMs: Math.max(pauses.maxMs, entry.duration),
        totalMs: pauses.totalMs + entry.duration,
        count: pauses.count + 1,
      };
    }
  }).observe({ entryTypes: ['gc'] });
  return {
    read: () => {
      const reading = { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, gc: pauses };
      loop.reset();
      pauses = { maxMs: 0, totalMs: 0, count: 0 };
      return reading;
    },
  };
}
