import { spreadHeartbeat } from '../src/subscriptions/heartbeat';

describe('spreadHeartbeat (keep-alive for many clients)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('visits every connection once per interval, a share every 100 ms', () => {
    const clients = new Set(Array.from({ length: 1000 }, (_, i) => i));
    const visits = new Map<number, number>();
    const perTurn: number[] = [];
    let turn = 0;
    const heartbeat = spreadHeartbeat(clients, 1000, (client) => {
      visits.set(client, (visits.get(client) ?? 0) + 1);
      turn++;
    });
    for (let t = 0; t < 10; t++) {
      jest.advanceTimersByTime(100);
      perTurn.push(turn);
      turn = 0;
    }
    // One interval: each client once, and no turn does more than its tenth.
    expect([...visits.values()].every((n) => n === 1)).toBe(true);
    expect(visits.size).toBe(1000);
    expect(Math.max(...perTurn)).toBe(100);

    jest.advanceTimersByTime(1000);
    expect([...visits.values()].every((n) => n === 2)).toBe(true);
    heartbeat.stop();
  });

  it('skips a connection closed during the round and takes a new one in the next round', () => {
    const clients = new Set(Array.from({ length: 20 }, (_, i) => i));
    const visited: number[] = [];
    const heartbeat = spreadHeartbeat(clients, 1000, (client) => visited.push(client));
    jest.advanceTimersByTime(100); // clients 0 and 1
    clients.delete(19);
    clients.add(20);
    jest.advanceTimersByTime(900);
    expect(visited).not.toContain(19);
    expect(visited).not.toContain(20);
    expect(visited).toHaveLength(19);
    jest.advanceTimersByTime(1000);
    expect(visited.filter((c) => c === 20)).toHaveLength(1);
    heartbeat.stop();
  });
});
