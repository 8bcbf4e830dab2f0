/**
 * Polls until `check` returns a value other than undefined/false, or fails after
 * `timeoutMs` with the last error. For conditions no event announces (a port opening,
 * a row appearing); prefer awaiting the event itself where there is one.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError ? `: ${String(lastError)}` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
