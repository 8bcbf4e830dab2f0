// The OpenTelemetry SDK itself, loaded only when tracing is on (index.ts requires it lazily):
// with no OTLP endpoint configured, none of this is loaded and nothing is patched.
import {
  context,
  propagation,
  trace,
  SpanKind,
  type Attributes,
  type Context,
  type Link,
} from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { tracesProtocol, type TelemetryConfig } from './config';

/** Probes and scrapes: asked every few seconds, never part of a customer's story. */
const UNTRACED_PATHS = /^\/(healthz|readyz|livez|metrics)\b/;

const PRISMA_UNTRACED = [
  'prisma:client:compile',
  'prisma:client:serialize',
  'prisma:client:db_query',
];

/** Database calls that open a trace of their own are a background loop's, not a request's. */
const UNTRACED_ROOTS = /^(prisma:|pg\.)/;

/** The root sampler OTEL_TRACES_SAMPLER names (parent-based in every case). */
function rootSampler(config: TelemetryConfig): Sampler {
  switch (config.OTEL_TRACES_SAMPLER) {
    case 'parentbased_traceidratio':
      return new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG ?? 1);
    case 'parentbased_always_off':
      return new AlwaysOffSampler();
    default:
      return new AlwaysOnSampler();
  }
}

/**
 * Parent-based (OTEL_TRACES_SAMPLER decides new traces), except that a database call with
 * no parent starts no trace: the outbox relays and expiry loops poll every second, and a
 * trace per poll would bury the requests and jobs.
 */
class RequestRootedSampler implements Sampler {
  private readonly parentBased: Sampler;

  constructor(root: Sampler) {
    this.parentBased = new ParentBasedSampler({ root });
  }

  shouldSample(
    ctx: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (!trace.getSpanContext(ctx) && kind !== SpanKind.SERVER && UNTRACED_ROOTS.test(name)) {
      return { decision: SamplingDecision.NOT_RECORD };
    }
    return this.parentBased.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return 'RequestRootedSampler';
  }
}

/** undici hands a request's headers over as `name: value\r\n` text or a [name, value, ...] list. */
function carriesTraceparent(headers: unknown): boolean {
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  return Array.isArray(headers) && headers.some((h) => String(h).toLowerCase() === 'traceparent');
}

export interface StartedSdk {
  /** Exports what is buffered, then stops (bounded by the exporter's own timeout). */
  shutdown: () => Promise<void>;
}

export function startSdk(serviceName: string, config: TelemetryConfig): StartedSdk {
  // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) itself.
  const exporter =
    tracesProtocol(config) === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the default name.
    resource: resourceFromAttributes({ 'service.name': serviceName }).merge(
      detectResources({ detectors: [envDetector] }),
    ),
    // A full queue drops spans and an unreachable receiver fails the export in the
    // background: a request never waits for the tracing backend (OTEL_BSP_* tune it).
    spanProcessors: [new BatchSpanProcessor(exporter)],
    sampler: new RequestRootedSampler(rootSampler(config)),
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // Outgoing calls made outside any request (token refreshes on a timer) start no trace.
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({
        requireParentforSpans: true,
        // Calls that already carry a trace context (the router's subgraph fetches, which set
        // it themselves) would get a second traceparent header.
        ignoreRequestHook: (request) => carriesTraceparent(request.headers),
      }),
      // No span per pool checkout: the query spans say enough, at a third fewer spans.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      // Prisma's spans per query, less the in-process steps (compile, serialize) and its
      // db_query, which repeats the pg.query span under it: five spans a query become two.
      new PrismaInstrumentation({ ignoreSpanTypes: PRISMA_UNTRACED }),
      new MongooseInstrumentation({ requireParentSpan: true }),
      // BullMQ talks to Redis all the time; only commands inside a traced operation count.
      new IORedisInstrumentation({ requireParentSpan: true }),
      // parse / validate / execute with the operation's name; no span per resolved field.
      new GraphQLInstrumentation({ ignoreResolveSpans: true }),
    ],
  });

  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
