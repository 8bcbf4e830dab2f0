import { context, trace, type Context, type Span as OtelSpan } from '@opentelemetry/api';
import { BullMQOtel, BullMQOTelSpan } from 'bullmq-otel';

/** BullMQ's SpanKind values (they mirror OpenTelemetry's). */
const PRODUCER = 3;
const CONSUMER = 4;

type BullMQSpan = BullMQOTelSpan;

/**
 * A span BullMQ asked for and that is not kept: it records nothing and leaves the context as
 * it was, so that Redis calls under it stay children of whatever they belong to (or, in a
 * worker's idle loop, of nothing, and are not recorded at all).
 */
class SkippedSpan extends BullMQOTelSpan {
  constructor() {
    super(trace.wrapSpanContext({ traceId: '', spanId: '', traceFlags: 0 }) as OtelSpan);
  }
  override setSpanOnContext(ctx: Context): Context {
    return ctx;
  }
}

/**
 * BullMQ's telemetry (bullmq-otel) keeping only the spans that tell a job's story: `add`
 * (PRODUCER, which stores the trace context in the job) and `process` (CONSUMER, which
 * continues it). Without the filter every worker would start a trace for each idle poll
 * (getNextJob), stalled-job check and the like, thousands an hour of nothing.
 */
export function bullmqTelemetry(): BullMQOtel {
  const telemetry = new BullMQOtel({ tracerName: 'bullmq' });
  const tracer = telemetry.tracer;
  telemetry.tracer = {
    startSpan(name: string, options?: { kind?: number }, ctx?: Context): BullMQSpan {
      if (options?.kind === PRODUCER || options?.kind === CONSUMER) {
        return tracer.startSpan(name, options, ctx ?? context.active()) as BullMQSpan;
      }
      return new SkippedSpan();
    },
  } as unknown as BullMQOtel['tracer'];
  return telemetry;
}
