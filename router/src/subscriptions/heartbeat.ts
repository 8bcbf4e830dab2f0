/** How often the keep-alive takes its next share of the connections. */
const TURN_MS = 100;

/**
 * One timer for the keep-alive of every client, its work spread over the interval: every
 * TURN_MS it visits its share of the connections (interval / TURN_MS turns per round), so
 * each is visited about once per interval and the event loop never stops long for it.
 * Pinging 10,000 clients in one turn is 10,000 socket writes, and their 10,000 pongs
 * arrive together: every event due meanwhile waited behind them (hundreds of ms); in
 * tenths of the interval, still ~15 ms per turn; in 100 ms turns, ~1 ms. A connection
 * opened during a round is first visited in the next one; one gone meanwhile is skipped.
 * Each round is taken from the connections open at its start, so when some ahead of one
 * have closed, it is visited again sooner than a whole interval: `visit` must not take a
 * visit for a full interval gone by (the transport compares with its last ping's time).
 */
export function spreadHeartbeat<T>(
  items: ReadonlySet<T>,
  intervalMs: number,
  visit: (item: T) => void,
): { stop: () => void } {
  let round: T[] = [];
  let cursor = 0;
  let perTurn = 0;
  const turns = Math.max(1, Math.floor(intervalMs / TURN_MS));
  const timer = setInterval(
    () => {
      if (cursor >= round.length) {
        round = [...items];
        cursor = 0;
        perTurn = Math.ceil(round.length / turns);
      }
      const end = Math.min(round.length, cursor + perTurn);
      for (; cursor < end; cursor++) {
        const item = round[cursor]!;
        if (items.has(item)) visit(item);
      }
      // Let the closed connections of this round go before the next one starts.
      if (cursor >= round.length) round = [];
    },
    Math.max(1, Math.floor(intervalMs / turns)),
  );
  // Keep-alive must not keep a stopping process alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
