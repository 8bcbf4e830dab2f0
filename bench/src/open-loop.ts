// An open-loop load: requests leave on schedule whatever the answers take, so a slow server
// shows up as latency and backlog rather than as fewer requests (as in a closed loop).
import { performance } from 'node:perf_hooks';

/** Calls `one(k)` for k = 0, 1, … at `rate` per second for `seconds`, then waits for all. */
export async function openLoop(
  rate: number,
  seconds: number,
  one: (k: number) => Promise<void>,
): Promise<void> {
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (sent < due) pending.push(one(sent++));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
}
