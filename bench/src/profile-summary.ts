// Where each process's CPU went during a profiled benchmark run (`--profile`, profile.ts):
// reads .cache/profiles/<process>/*.cpuprofile, keeps the samples of the measured run only,
// and prints, per process, the modules and functions with the most self time (time spent in
// the function's own code, not in what it calls), per unit of work (checkout), as Markdown.
//   npm run profile -w bench [-- --top N --inclusive --match TEXT --process NAME]
// --inclusive adds the functions with the most total time (their callees included): the
// entry points of a request's work, e.g. a plugin hook or a resolver; --match TEXT keeps
// only those whose module or file contains TEXT (e.g. --match subgraph-kit).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@shop/test-harness';
import { PROFILES_DIR, WINDOW_FILE, type ProfileWindow } from './profile';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self and total time (µs) by key, and the busy time they are shares of. */
interface Tally {
  busyMicros: number;
  idleMicros: number;
  byModule: Map<string, number>;
  byFunction: Map<string, { module: string; micros: number }>;
  inclusive: Map<string, { module: string; micros: number }>;
}

/** The V8 pseudo-frames: time outside JavaScript, named by what the engine was doing. */
const IDLE = '(idle)';

/** packages/logging, subgraphs/products, router; a package; node's own modules; V8. */
export function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native code)';
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    return `node:${parts[0] === 'internal' ? parts.slice(0, 2).join('/') : parts[0]}`;
  }
  // WebAssembly: in this shop, Prisma's query compiler.
  if (url.startsWith('wasm:')) return '(WebAssembly)';
  const file = filePath(url);
  if (!file) return url;
  const nodeModules = file.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) {
    const parts = file.slice(nodeModules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const relative = path.relative(REPO_ROOT, file);
  if (relative.startsWith('..')) return file;
  const parts = relative.split(path.sep);
  return ['packages', 'subgraphs'].includes(parts[0]!) ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The file of a script URL; null for node:, wasm: and other non-file scripts. */
function filePath(url: string): string | null {
  if (url.startsWith('file://')) return decodeURIComponent(new URL(url).pathname);
  return url.startsWith('/') ? url : null;
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const file = filePath(frame.url);
  let shown = frame.url;
  if (file) {
    const nodeModules = file.lastIndexOf('/node_modules/');
    const relative = path.relative(REPO_ROOT, file);
    if (nodeModules >= 0) shown = file.slice(nodeModules + '/node_modules/'.length);
    else if (!relative.startsWith('..')) shown = relative;
  }
  // lineNumber is 0-based in profiles.
  return `${name} ${shown}:${frame.lineNumber + 1}`;
}

/** Adds the samples of one profile that fall in [start, end] (µs) to the tally. */
export function tallyProfile(
  profile: CpuProfile,
  window: { startMicros: number; endMicros: number } | null,
  tally: Tally,
): void {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const meanDelta =
    profile.timeDeltas.reduce((sum, d) => sum + d, 0) / Math.max(profile.timeDeltas.length, 1);
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    time += profile.timeDeltas[i] ?? 0;
    if (window && (time < window.startMicros || time > window.endMicros)) continue;
    // A sample stands for the time until the next one.
    const micros = profile.timeDeltas[i + 1] ?? meanDelta;
    const node = nodes.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === IDLE) {
      tally.idleMicros += micros;
      continue;
    }
    tally.busyMicros += micros;
    const module = moduleOf(node.callFrame);
    tally.byModule.set(module, (tally.byModule.get(module) ?? 0) + micros);
    const key = functionKey(node.callFrame);
    const entry = tally.byFunction.get(key) ?? { module, micros: 0 };
    entry.micros += micros;
    tally.byFunction.set(key, entry);
    // Total time: every function on the stack once (recursion counts once).
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = nodes.get(id)!.callFrame;
      if (frame.functionName === '(root)') break;
      const onStack = functionKey(frame);
      if (seen.has(onStack)) continue;
      seen.add(onStack);
      const total = tally.inclusive.get(onStack) ?? { module: moduleOf(frame), micros: 0 };
      total.micros += micros;
      tally.inclusive.set(onStack, total);
    }
  }
}

function emptyTally(): Tally {
  return {
    busyMicros: 0,
    idleMicros: 0,
    byModule: new Map(),
    byFunction: new Map(),
    inclusive: new Map(),
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      top: { type: 'string', default: '12' },
      inclusive: { type: 'boolean', default: false },
      match: { type: 'string' },
      process: { type: 'string' },
    },
  });
  const top = Number(values.top);
  if (!existsSync(PROFILES_DIR)) {
    console.error(`no profiles in ${PROFILES_DIR}: run a benchmark with --profile first`);
    process.exit(2);
  }
  const window = existsSync(WINDOW_FILE)
    ? (JSON.parse(readFileSync(WINDOW_FILE, 'utf8')) as ProfileWindow)
    : null;
  const units = window?.units ?? 0;
  // Three significant figures: a checkout's items are milliseconds, a request's microseconds.
  const per = (micros: number) =>
    units > 0
      ? Number((micros / 1000 / units).toPrecision(3)).toString()
      : (micros / 1000).toFixed(0);
  const perLabel = units > 0 ? `ms per ${window!.unit}` : 'ms';
  const out: string[] = [];
  out.push(
    window
      ? `Measured run of \`${window.command}\`: ${((window.endMicros - window.startMicros) / 1e6).toFixed(1)} s, ${units} ${window.unit}s; samples outside it (start-up, checks) are left out.`
      : 'No window.json: whole profiles, start-up included.',
  );
  const processes = readdirSync(PROFILES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => !values.process || name === values.process)
    .sort();
  for (const name of processes) {
    const dir = path.join(PROFILES_DIR, name);
    const tally = emptyTally();
    // A process may write more than one profile (worker threads: tsx's loader); add them up.
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      tallyProfile(
        JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile,
        window,
        tally,
      );
    }
    const share = (micros: number) =>
      `${((micros / Math.max(tally.busyMicros, 1)) * 100).toFixed(1)} %`;
    const ranked = <T>(map: Map<string, T>, micros: (value: T) => number) =>
      [...map].sort(([, a], [, b]) => micros(b) - micros(a)).slice(0, top);
    out.push(
      '',
      `#### ${name}: ${per(tally.busyMicros)} ${perLabel} on the CPU (idle ${per(tally.idleMicros)})`,
      '',
      `| module | self, ${perLabel} | share |`,
      '|---|---:|---:|',
      ...ranked(tally.byModule, (m) => m).map(
        ([m, micros]) => `| ${m} | ${per(micros)} | ${share(micros)} |`,
      ),
      '',
      `| function (self time) | module | ${perLabel} | share |`,
      '|---|---|---:|---:|',
      ...ranked(tally.byFunction, (f) => f.micros).map(
        ([f, { module, micros }]) => `| \`${f}\` | ${module} | ${per(micros)} | ${share(micros)} |`,
      ),
    );
    if (values.inclusive) {
      out.push(
        '',
        `| function (total time, callees included) | module | ${perLabel} | share |`,
        '|---|---|---:|---:|',
        ...ranked(
          new Map(
            [...tally.inclusive].filter(
              ([f, { module }]) =>
                !values.match || f.includes(values.match) || module.includes(values.match),
            ),
          ),
          (f) => f.micros,
        ).map(
          ([f, { module, micros }]) =>
            `| \`${f}\` | ${module} | ${per(micros)} | ${share(micros)} |`,
        ),
      );
    }
  }
  console.log(out.join('\n'));
}

if (require.main === module) main();
