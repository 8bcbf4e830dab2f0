// Where the CPU went during a measured run: each benchmark process's own CPU time, the
// shared servers' (PostgreSQL, FerretDB, Redis, stripe-mock: whoever else uses them counts
// too), and how busy the whole machine was.
// On a machine with few cores this is what tells a slow service from a saturated machine.
// Linux only (/proc); elsewhere the figures are left out.
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSnapshot {
  /** CPU seconds (user + system) per named process. */
  processes: Map<string, number>;
  /** CPU seconds of each process of the shared servers, by pid. */
  servers: Map<number, { server: string; seconds: number }>;
  /** Machine-wide jiffies: busy and total, over all cores. */
  machine: { busy: number; total: number };
}

const ticksPerSecond = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields are counted after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, v) => sum + v, 0);
  // idle and iowait are the 4th and 5th values.
  return { busy: total - values[3]! - (values[4] ?? 0), total };
}

/** Process names (as in /proc/<pid>/comm, cut at 15 characters) → the server they belong to. */
const SERVERS: [prefix: string, server: string][] = [
  ['postgres', 'PostgreSQL'],
  ['ferretdb', 'FerretDB'],
  ['redis-server', 'Redis'],
  ['stripe-mock', 'stripe-mock'],
];

function serverProcesses(): Map<number, { server: string; seconds: number }> {
  const found = new Map<number, { server: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const server = SERVERS.find(([prefix]) => comm.startsWith(prefix))?.[1];
      if (server) found.set(Number(entry), { server, seconds: processSeconds(Number(entry)) });
    } catch {
      // The process ended while the list was read.
    }
  }
  return found;
}

/** Null where /proc is not available. */
export function cpuSnapshot(pids: Record<string, number>): CpuSnapshot | null {
  try {
    return {
      processes: new Map(
        Object.entries(pids).map(([name, pid]) => [
          name,
          pid === process.pid ? processCpuSeconds() : processSeconds(pid),
        ]),
      ),
      servers: serverProcesses(),
      machine: machineJiffies(),
    };
  } catch {
    return null;
  }
}

function processCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

export interface CpuUse {
  /** CPU milliseconds per unit of work (e.g. per checkout), by process. */
  perUnitMs: { name: string; ms: number }[];
  /** The same for the shared servers (only processes alive for the whole run). */
  serversPerUnitMs: { name: string; ms: number }[];
  /** Share of all cores that was busy, 0..1. */
  machineBusy: number;
}

export function cpuUse(before: CpuSnapshot, after: CpuSnapshot, units: number): CpuUse {
  const perUnitMs = [...after.processes].map(([name, seconds]) => ({
    name,
    ms: ((seconds - (before.processes.get(name) ?? 0)) * 1000) / Math.max(units, 1),
  }));
  const servers = new Map<string, number>();
  for (const [pid, { server, seconds }] of after.servers) {
    const earlier = before.servers.get(pid);
    if (earlier?.server !== server) continue;
    servers.set(server, (servers.get(server) ?? 0) + seconds - earlier.seconds);
  }
  const serversPerUnitMs = SERVERS.map(([, name]) => ({
    name,
    ms: ((servers.get(name) ?? 0) * 1000) / Math.max(units, 1),
  }));
  const total = after.machine.total - before.machine.total;
  return {
    perUnitMs,
    serversPerUnitMs,
    machineBusy: total > 0 ? (after.machine.busy - before.machine.busy) / total : 0,
  };
}

/** "products 11.2, orders 24.9": CPU milliseconds per unit, as the results notes list them. */
export function cpuList(entries: { name: string; ms: number }[]): string {
  return entries.map(({ name, ms }) => `${name} ${ms.toFixed(1)}`).join(', ');
}
