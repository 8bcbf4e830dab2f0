// Prints the latest traces from the local Jaeger (`npm run up` starts it) as trees in the
// terminal: the Jaeger built from its Go module serves its query API but no UI pages.
//   npm run traces -- [service] [--limit N] [--operation NAME]
// service defaults to router; NAME filters by the root span's name (e.g. "mutation Checkout").
// JAEGER_URL (default http://127.0.0.1:16686) says where Jaeger's API is.

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  startTime: number;
  duration: number;
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const base = process.env.JAEGER_URL ?? 'http://127.0.0.1:16686';
  const service =
    process.argv
      .slice(2)
      .find((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--')) ?? 'router';
  const limit = Number(option('--limit') ?? 5);
  const query = new URLSearchParams({ service, limit: String(limit), lookback: '1h' });
  const operation = option('--operation');
  if (operation) query.set('operation', operation);
  const response = await fetch(`${base}/api/traces?${query}`);
  if (!response.ok)
    throw new Error(`Jaeger answered HTTP ${response.status}: ${await response.text()}`);
  const { data } = (await response.json()) as { data: JaegerTrace[] | null };
  if (!data?.length) {
    console.log(`No traces of ${service} in the last hour at ${base}.`);
    return;
  }
  for (const trace of data.sort((a, b) => start(b) - start(a))) print(trace);
}

function start(trace: JaegerTrace): number {
  return Math.min(...trace.spans.map((s) => s.startTime));
}

function print(trace: JaegerTrace): void {
  const children = new Map<string, JaegerSpan[]>();
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const roots: JaegerSpan[] = [];
  for (const span of trace.spans) {
    const parent = span.references.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID));
    if (!parent) roots.push(span);
    else children.set(parent.spanID, [...(children.get(parent.spanID) ?? []), span]);
  }
  const t0 = start(trace);
  const services = new Set(trace.spans.map((s) => trace.processes[s.processID]?.serviceName));
  console.log(`\ntrace ${trace.traceID}: ${trace.spans.length} spans, ${[...services].join(', ')}`);
  const walk = (span: JaegerSpan, depth: number) => {
    const service = trace.processes[span.processID]?.serviceName ?? '?';
    const at = ((span.startTime - t0) / 1000).toFixed(1);
    const took = (span.duration / 1000).toFixed(1);
    console.log(`${'  '.repeat(depth)}${service}: ${span.operationName}  +${at} ms, ${took} ms`);
    const next = (children.get(span.spanID) ?? []).sort((a, b) => a.startTime - b.startTime);
    for (const child of next) walk(child, depth + 1);
  };
  for (const root of roots.sort((a, b) => a.startTime - b.startTime)) walk(root, 1);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
