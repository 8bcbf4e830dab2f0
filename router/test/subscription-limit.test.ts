import { ConcurrencyLimit } from '../src/subscriptions/limit';

/** A task that runs until `finish()` is called, recording when it started. */
function gate(started: number[], id: number) {
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const task = () => {
    started.push(id);
    return new Promise<number>((resolve, reject) => {
      finish = () => resolve(id);
      fail = reject;
    });
  };
  return { task, finish: () => finish(), fail: (error: Error) => fail(error) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('completing events a few at a time', () => {
  it('runs at most `limit` at once and starts the others in arrival order as turns free up', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const gates = [1, 2, 3, 4, 5].map((id) => gate(started, id));
    const results = gates.map((g) => limit.run(g.task));
    await tick();
    expect(started).toEqual([1, 2]);
    expect(limit.pending).toBe(3);

    gates[1]!.finish();
    await tick();
    expect(started).toEqual([1, 2, 3]);
    gates[0]!.finish();
    gates[2]!.finish();
    await tick();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    gates[3]!.finish();
    gates[4]!.finish();

    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5]);
    expect({ active: limit.active, pending: limit.pending }).toEqual({ active: 0, pending: 0 });
  });

  it('gives the turn of a task that failed to the next one', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const [first, second] = [1, 2].map((id) => gate(started, id));
    const failed = limit.run(first!.task);
    const next = limit.run(second!.task);
    await tick();
    first!.fail(new Error('the subgraph did not answer'));
    await expect(failed).rejects.toThrow('the subgraph did not answer');
    await tick();
    expect(started).toEqual([1, 2]);
    second!.finish();
    expect(await next).toBe(2);
    expect(limit.active).toBe(0);
  });
});
