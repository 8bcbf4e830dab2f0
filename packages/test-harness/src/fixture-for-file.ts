type AnyFunction = (...args: unknown[]) => unknown;

/** Anything a test file starts once and stops when its tests are done. */
export interface StoppableFixture {
  stop(): unknown;
}

export interface FixtureForFileOptions {
  /** How long `start` may take before jest fails the file's beforeAll. */
  timeoutMs?: number;
}

/**
 * Starts a fixture for the calling test file (beforeAll) and stops it afterwards (afterAll),
 * so a file need not declare a `let` and assign it in a hook.
 *
 * The returned object stands for the fixture: property reads and writes go to the fixture
 * once it runs, and functions read from it are called with the fixture as `this` (so methods
 * that use private fields work) while keeping their own properties (a jest mock's `.mock`).
 * The fixture only exists once the file's tests start: reading it while jest collects the
 * tests (in a describe body, at the top of the file) throws, rather than handing back
 * `undefined` to fail somewhere far from the mistake.
 *
 * Call it at the top of the file or of a describe block, before the hooks that use it:
 * jest runs beforeAll hooks in the order they were added.
 */
export function fixtureForFile<Fixture extends StoppableFixture>(
  start: () => Promise<Fixture>,
  { timeoutMs = 120_000 }: FixtureForFileOptions = {},
): Fixture {
  let started: Fixture | undefined;
  // One stand-in a function, so that `fixture.method === fixture.method` as on the fixture.
  const boundFunctions = new WeakMap<AnyFunction, AnyFunction>();
  const bindToFixture = (fn: AnyFunction, fixture: Fixture): AnyFunction => {
    let bound = boundFunctions.get(fn);
    if (!bound) {
      bound = new Proxy(fn, { apply: (target, _, args) => Reflect.apply(target, fixture, args) });
      boundFunctions.set(fn, bound);
    }
    return bound;
  };
  const running = (property: PropertyKey): Fixture => {
    if (started) return started;
    throw new Error(
      `fixtureForFile: read of "${String(property)}" before the fixture started; ` +
        'it starts in beforeAll, so read it inside a test or a hook, not while jest collects the tests',
    );
  };
  beforeAll(async () => {
    started = await start();
  }, timeoutMs);
  afterAll(async () => {
    await started?.stop();
  });
  return new Proxy({} as Fixture, {
    get(_, property) {
      const fixture = running(property);
      const value: unknown = Reflect.get(fixture, property, fixture);
      return typeof value === 'function' ? bindToFixture(value as AnyFunction, fixture) : value;
    },
    set(_, property, value) {
      const fixture = running(property);
      return Reflect.set(fixture, property, value, fixture);
    },
    has(_, property) {
      return Reflect.has(running(property), property);
    },
  });
}
