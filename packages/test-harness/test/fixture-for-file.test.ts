import { fixtureForFile } from '../src';

// A fixture whose state is private, so its methods and getters only work with `this` bound
// to the fixture itself, not to the object that stands for it.
class Counter {
  readonly name = 'counter';
  readonly onIncrement = jest.fn();
  #count = 0;
  stopped = false;
  increment(): number {
    this.onIncrement(this.#count + 1);
    return ++this.#count;
  }
  get count(): number {
    return this.#count;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const starts: Counter[] = [];
const start = async (): Promise<Counter> => {
  const counter = new Counter();
  starts.push(counter);
  return counter;
};

describe('a fixture for the file', () => {
  const counter = fixtureForFile(start, { timeoutMs: 5_000 });

  // Read while jest collects the tests: the mistake the error is there to explain.
  let earlyRead: unknown;
  try {
    earlyRead = counter.name;
  } catch (error) {
    earlyRead = error;
  }

  let seenInBeforeAll: string | undefined;
  beforeAll(() => {
    seenInBeforeAll = counter.name;
  });

  it('is started before the tests and the hooks added after it', () => {
    expect(starts).toHaveLength(1);
    expect(seenInBeforeAll).toBe('counter');
    expect(counter.name).toBe('counter');
  });

  it('binds methods and getters to the started fixture', () => {
    const { increment } = counter;
    expect(counter.increment()).toBe(1);
    expect(increment()).toBe(2);
    expect(counter.count).toBe(2);
    expect(starts[0]!.count).toBe(2);
    expect(counter.increment).toBe(counter.increment);
  });

  it('keeps the properties of the functions it hands out', () => {
    expect(counter.onIncrement).toHaveBeenCalledTimes(2);
    expect(counter.onIncrement.mock.calls).toEqual([[1], [2]]);
  });

  it('is the same fixture in every test of the file', () => {
    expect(starts).toHaveLength(1);
    expect(counter.count).toBe(2);
  });

  it('passes writes and `in` through to the fixture', () => {
    counter.stopped = false;
    expect(starts[0]!.stopped).toBe(false);
    expect('increment' in counter).toBe(true);
    expect('missing' in counter).toBe(false);
  });

  it('says what went wrong when read before the tests start', () => {
    expect(earlyRead).toBeInstanceOf(Error);
    expect((earlyRead as Error).message).toMatch(/read of "name" before the fixture started/);
    expect((earlyRead as Error).message).toMatch(/inside a test or a hook/);
  });
});

// Runs after the describe block's afterAll, which is where the fixture stops.
afterAll(() => {
  expect(starts).toHaveLength(1);
  expect(starts[0]!.stopped).toBe(true);
});
