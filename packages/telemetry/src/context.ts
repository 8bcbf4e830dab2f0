import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';

/**
 * W3C trace context as text: what an outbox row keeps of the request that wrote it, so that
 * the job published from the row later continues that request's trace.
 */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** The key under which an outbox payload carries its TraceCarrier. */
export const TRACE_KEY = '_trace';

/**
 * The active trace context, or undefined when there is none (tracing off, or no span): the
 * no-op propagator of an unstarted SDK injects nothing, so this costs one empty object.
 */
export function traceCarrier(): TraceCarrier | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent) return undefined;
  return carrier.tracestate
    ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
    : { traceparent: carrier.traceparent };
}

/** A TraceCarrier read back from stored JSON, or undefined if it is not one. */
export function asTraceCarrier(value: unknown): TraceCarrier | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { traceparent, tracestate } = value as Record<string, unknown>;
  if (typeof traceparent !== 'string') return undefined;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}

/**
 * Whether the active span records: whether reading a stored carrier (a query) to link it is
 * worth anything. False whenever tracing is off.
 */
export function activeSpanRecording(): boolean {
  return trace.getActiveSpan()?.isRecording() ?? false;
}

/**
 * Links the active span to the trace a carrier names: for work that arrives with no trace
 * of its own but belongs with an earlier one — Stripe's webhook, which pays for the order
 * an earlier checkout placed. The link lets a trace viewer go from one to the other.
 */
export function linkActiveSpan(carrier: TraceCarrier | undefined): void {
  const span = trace.getActiveSpan();
  if (!carrier || !span?.isRecording()) return;
  const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  if (linked) span.addLink({ context: linked });
}

/** Runs `fn` as part of the carried trace (or as before, when there is no carrier). */
export function withTraceCarrier<T>(carrier: TraceCarrier | undefined, fn: () => T): T {
  if (!carrier) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);
}
