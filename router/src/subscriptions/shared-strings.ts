/**
 * Equal strings that many connections hold, kept once: a customer's app open in several
 * tabs, or many devices of one account, send the same access token, and each copy of a
 * JWT is about 0.7 KiB for as long as its connection lasts. `hold` returns the one copy
 * (counting its holders); `release` forgets it when its last holder has gone.
 */
export class SharedStrings {
  private readonly held = new Map<string, { value: string; holders: number }>();

  hold(value: string): string {
    const entry = this.held.get(value);
    if (entry) {
      entry.holders++;
      return entry.value;
    }
    this.held.set(value, { value, holders: 1 });
    return value;
  }

  release(value: string): void {
    const entry = this.held.get(value);
    if (!entry) return;
    if (--entry.holders === 0) this.held.delete(value);
  }

  /** Distinct strings held. */
  get size(): number {
    return this.held.size;
  }
}
