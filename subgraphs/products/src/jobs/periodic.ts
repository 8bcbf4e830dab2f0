import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@shop/logging';

/** A background loop of this service; stop() waits for the round in progress. */
export interface Periodic {
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs` until stopped. A round that throws is logged and the
 * loop goes on: a store that is down for a while must not end the service's upkeep. A
 * round that reports more work (returns true) is followed at once by the next one.
 */
export function startPeriodic(
  name: string,
  intervalMs: number,
  round: () => Promise<boolean>,
  log: Logger,
): Periodic {
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let more = false;
      try {
        more = await round();
      } catch (err) {
        log.error({ err, loop: name }, `${name} failed; trying again in ${intervalMs} ms`);
      }
      if (more) continue;
      await delay(intervalMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
