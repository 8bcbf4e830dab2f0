import { createLogger } from '@shop/logging';
import { Closers, startBackgroundWork, startWorkerProcess } from '../src';

// A worker process as Kubernetes sees it: probes on its own port, readiness from its stores,
// and a stop that lets the work finish before the stores close.
describe('startWorkerProcess', () => {
  const logger = createLogger('worker-test', 'silent');

  it('answers /readyz with 503 and the cause while a store is down, 200 once it is back', async () => {
    let storeUp = false;
    const worker = await startWorkerProcess(
      {
        name: 'test-worker',
        logger,
        ready: async () => {
          if (!storeUp) throw new Error('database unreachable');
        },
        start: () => ({ stop: async () => undefined }),
        close: async () => undefined,
      },
      0,
    );
    try {
      const down = await fetch(`http://127.0.0.1:${worker.port}/readyz`);
      expect({ status: down.status, body: await down.json() }).toEqual({
        status: 503,
        body: { status: 'unavailable', service: 'test-worker', error: 'database unreachable' },
      });
      storeUp = true;
      const up = await fetch(`http://127.0.0.1:${worker.port}/readyz`);
      expect(up.status).toBe(200);
      const alive = await fetch(`http://127.0.0.1:${worker.port}/healthz`);
      expect(await alive.json()).toEqual({ status: 'ok', service: 'test-worker' });
    } finally {
      await worker.stop();
    }
  });

  it('stops the work first, then the probes, then closes the stores', async () => {
    const steps: string[] = [];
    const worker = await startWorkerProcess(
      {
        name: 'test-worker',
        logger,
        ready: async () => undefined,
        start: () => {
          steps.push('started');
          return { stop: async () => void steps.push('work stopped') };
        },
        close: async () => void steps.push('stores closed'),
      },
      0,
    );
    await worker.stop();
    expect(steps).toEqual(['started', 'work stopped', 'stores closed']);
    await expect(fetch(`http://127.0.0.1:${worker.port}/healthz`)).rejects.toThrow();
  });

  it('closes the stores and starts no work when its port is taken', async () => {
    const first = await startWorkerProcess(
      {
        name: 'first',
        logger,
        ready: async () => undefined,
        start: () => ({ stop: async () => undefined }),
        close: async () => undefined,
      },
      0,
    );
    const steps: string[] = [];
    try {
      await expect(
        startWorkerProcess(
          {
            name: 'second',
            logger,
            ready: async () => undefined,
            start: () => {
              steps.push('started');
              return { stop: async () => undefined };
            },
            close: async () => void steps.push('stores closed'),
          },
          first.port,
        ),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(steps).toEqual(['stores closed']);
    } finally {
      await first.stop();
    }
  });

  it('closes the probes and the stores when the work cannot start', async () => {
    const steps: string[] = [];
    await expect(
      startWorkerProcess(
        {
          name: 'test-worker',
          logger,
          ready: async () => undefined,
          start: () => {
            throw new Error('redis unreachable');
          },
          close: async () => void steps.push('stores closed'),
        },
        0,
      ),
    ).rejects.toThrow('redis unreachable');
    expect(steps).toEqual(['stores closed']);
  });
});

// An API process runs its background work unless a worker Deployment does (WORKERS_ENABLED).
describe('startBackgroundWork', () => {
  it('starts the work and stops it with the closers', async () => {
    const steps: string[] = [];
    const logger = createLogger('worker-test', 'silent');
    const closers = new Closers(logger);
    startBackgroundWork(closers, {
      enabled: true,
      name: 'outbox relay',
      logger,
      start: () => {
        steps.push('started');
        return { stop: async () => void steps.push('stopped') };
      },
    });
    await closers.close();
    expect(steps).toEqual(['started', 'stopped']);
  });

  it('leaves the work to the worker process when WORKERS_ENABLED is false, and says so', async () => {
    const lines: string[] = [];
    const logger = createLogger('worker-test', 'info', {
      write: (line: string) => void lines.push(line),
    });
    const start = jest.fn();
    startBackgroundWork(new Closers(logger), {
      enabled: false,
      name: 'outbox relay',
      logger,
      start,
    });
    expect(start).not.toHaveBeenCalled();
    expect(JSON.parse(lines[0]!).msg).toBe(
      'WORKERS_ENABLED=false: the outbox relay runs in its own process',
    );
  });
});
