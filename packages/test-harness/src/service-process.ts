// A service started the way production starts it: its own Node process through its real
// entry point (src/main.ts via tsx, as tools/up.sh and the container do), so what only a
// process can show — exiting on an unhandled rejection — is visible to a test.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './postgres';

export interface ServiceProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port>, the port the service reported once listening. */
  origin: string;
  /** Every log line the process wrote so far (stdout and stderr). */
  log: string[];
  /** Whether the process is still running. */
  alive: () => boolean;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s); resolves to the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * Runs `node --import tsx src/main.ts` in a workspace with exactly the given environment
 * (plus PATH, and METRICS_PORT=0 unless given), and resolves once the service logs its
 * listening port — so the config must set its port variable to 0. Rejects with the
 * process's log if it exits or stays silent.
 */
export function startServiceProcess(
  workspace: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
  /** Another entry point of the workspace, e.g. src/worker.ts (its worker process). */
  entry = 'src/main.ts',
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: path.join(REPO_ROOT, workspace),
    // METRICS_PORT 0: processes of parallel tests (and a local `npm run up`) would otherwise
    // all take the service's default metrics port.
    env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;

  return new Promise<ServiceProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${workspace} did not report a port in ${timeoutMs} ms:\n${log.join('\n')}`),
      );
    }, timeoutMs);
    const onLine = (line: string) => {
      log.push(line);
      let entry: { port?: unknown; msg?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (typeof entry.port === 'number' && String(entry.msg).includes('listening')) {
        clearTimeout(timer);
        resolve({
          child,
          origin: `http://127.0.0.1:${entry.port}`,
          log,
          alive,
          stop: async () => {
            if (!alive()) return child.exitCode;
            child.kill('SIGTERM');
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            const code = await exited;
            clearTimeout(kill);
            return code;
          },
        });
      }
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${workspace} exited (${code}) before listening:\n${log.join('\n')}`));
    });
  });
}
