import { TokenExpiries } from '../src/subscriptions/auth';

describe('TokenExpiries (one timer for every connection’s token)', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-05T00:00:00.000Z') }));
  afterEach(() => jest.useRealTimers());

  it('closes each connection within a second of its token’s expiry, not before', () => {
    const closed: string[] = [];
    const expiries = new TokenExpiries<string>((c) => closed.push(c));
    const now = Date.now();
    expiries.add('a', now + 2_000);
    expiries.add('b', now + 2_000);
    expiries.add('c', now + 5_000);

    jest.advanceTimersByTime(1_900);
    expect(closed).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(closed.sort()).toEqual(['a', 'b']);
    jest.advanceTimersByTime(3_000);
    expect(closed).toContain('c');
    expect(expiries.size).toBe(0);
  });

  it('forgets a connection that closed first, and stops ticking when none is left', () => {
    const closed: string[] = [];
    const expiries = new TokenExpiries<string>((c) => closed.push(c));
    const at = Date.now() + 1_000;
    expiries.add('gone', at);
    expiries.remove('gone', at);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5_000);
    expect(closed).toEqual([]);
  });
});
