import { createLogger } from '@shop/logging';
import { Closers } from '../src';

// What a service opened is closed, newest first, whether it stops or fails to start, and one
// resource that will not close does not keep the others open.
describe('Closers', () => {
  const logger = createLogger('closers-test', 'silent');

  it('closes what was opened last first', async () => {
    const closed: string[] = [];
    const closers = new Closers(logger);
    for (const name of ['database', 'http server', 'queue work']) {
      closers.add(name, async () => void closed.push(name));
    }
    await closers.close();
    expect(closed).toEqual(['queue work', 'http server', 'database']);
  });

  it('closes nothing twice', async () => {
    const close = jest.fn();
    const closers = new Closers(logger);
    closers.add('database', close);
    await closers.close();
    await closers.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('closes what a failed start opened, then rethrows the start-up error', async () => {
    const closed: string[] = [];
    const opened: string[] = [];
    const closers = new Closers(logger);
    const failure = new Error('listen EADDRINUSE: address already in use');
    await expect(
      closers.closeOnFailure(async () => {
        for (const name of ['database', 'redis']) {
          opened.push(name);
          closers.add(name, () => void closed.push(name));
        }
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(opened).toEqual(['database', 'redis']);
    expect(closed).toEqual(['redis', 'database']);
  });

  it('rethrows the start-up error even when a close fails too', async () => {
    const closers = new Closers(logger);
    closers.add('redis', () => {
      throw new Error('redis quit failed');
    });
    await expect(
      closers.closeOnFailure(async () => {
        throw new Error('database unreachable');
      }),
    ).rejects.toThrow('database unreachable');
  });

  it('closes every resource when one close fails, and reports the failure at the end', async () => {
    const closed: string[] = [];
    const lines: string[] = [];
    const closers = new Closers(
      createLogger('closers-test', 'error', { write: (line: string) => void lines.push(line) }),
    );
    closers.add('database', () => void closed.push('database'));
    closers.add('redis', async () => {
      throw new Error('connection reset');
    });
    closers.add('http server', () => void closed.push('http server'));

    const stopped = closers.close();
    await expect(stopped).rejects.toThrow(AggregateError);
    await stopped.catch((failure: AggregateError) => {
      expect(failure.errors.map((e: Error) => e.message)).toEqual(['connection reset']);
    });
    expect(closed).toEqual(['http server', 'database']);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ resource: 'redis', msg: 'closing redis failed' }),
    ]);
  });

  it('moves on from a close that hangs once its time is up', async () => {
    const closed: string[] = [];
    const closers = new Closers(logger, { timeoutMs: 50 });
    closers.add('database', () => void closed.push('database'));
    closers.add('stuck client', () => new Promise(() => undefined));

    await expect(closers.close()).rejects.toThrow(AggregateError);
    expect(closed).toEqual(['database']);
  });
});
