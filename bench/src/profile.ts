// --profile: each shop process runs with V8's sampling profiler (node --cpu-prof), which
// writes .cache/profiles/<process>/*.cpuprofile when the process exits. The load generator
// notes when the measured run began and ended on the same monotonic clock as the profiles'
// timestamps, so the summary (profile-summary.ts) counts only the measured run, not start-up
// (tsx compiling TypeScript, opening pools) or the checks afterwards.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@shop/test-harness';

export const PROFILES_DIR = path.join(REPO_ROOT, '.cache', 'profiles');
export const WINDOW_FILE = path.join(PROFILES_DIR, 'window.json');

/** The measured run: microseconds of the monotonic clock, as in a .cpuprofile. */
export interface ProfileWindow {
  startMicros: number;
  endMicros: number;
  /** Units of work done in the window (checkouts), to state figures per unit. */
  units: number;
  unit: string;
  command: string;
}

/** Empties the profiles of an earlier run, so every profile read belongs to this one. */
export function clearProfiles(): void {
  rmSync(PROFILES_DIR, { recursive: true, force: true });
  mkdirSync(PROFILES_DIR, { recursive: true });
}

/** Node options that profile one process into a folder of its own. */
export function profilerOptions(processName: string): string[] {
  const dir = path.join(PROFILES_DIR, processName.replace(/[^a-z0-9-]+/gi, '-'));
  // 500 µs rather than the default 1 ms: a checkout's work in one process is tens of ms.
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500'];
}

export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function writeProfileWindow(window: ProfileWindow): void {
  mkdirSync(PROFILES_DIR, { recursive: true });
  writeFileSync(WINDOW_FILE, `${JSON.stringify(window, null, 2)}\n`);
}
