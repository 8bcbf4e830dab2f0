/** How many turns one keep-alive round is spread over. */
const SLICES = 10;

/**
 * One timer for the keep-alive of every client, its work spread over the interval: every
 * `intervalMs / SLICES` it visits the next tenth of the connections, so each is visited
 * once per interval and the event loop never stops for a whole round. (Pinging 10,000
 * clients in one turn is 10,000 socket writes, and their 10,000 pongs arrive together:
 * every event due to any client at that moment waited behind them.) A connection opened
 * during a round is first visited in the next one; one gone meanwhile is skipped.
 */
export function spreadHeartbeat<T>(
  items: ReadonlySet<T>,
  intervalMs: number,
  visit: (item: T) => void,
): { stop: () => void } {
  let round: T[] = [];
  let cursor = 0;
  let perTurn = 0;
  const timer = setInterval(
    () => {
      if (cursor >= round.length) {
        round = [...items];
        cursor = 0;
        perTurn = Math.ceil(round.length / SLICES);
      }
      const end = Math.min(round.length, cursor + perTurn);
      for (; cursor < end; cursor++) {
        const item = round[cursor]!;
        if (items.has(item)) visit(item);
      }
      // Let the closed connections of this round go before the next one starts.
      if (cursor >= round.length) round = [];
    },
    Math.max(1, Math.floor(intervalMs / SLICES)),
  );
  // Keep-alive must not keep a stopping process alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
