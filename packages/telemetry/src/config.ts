import { env, loadConfig, z } from '@shop/config';

const url = env.url(['http', 'https']).optional();
const protocol = z
  .enum(['http/protobuf', 'http/json', 'grpc'])
  .refine((value) => value !== 'grpc', 'OTLP over gRPC is not built in; use http/protobuf')
  .optional();

/**
 * The standard OpenTelemetry variables the shop reads itself (the SDK and the OTLP exporter
 * read the rest: OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_BSP_*, ...).
 * docs/tracing.md lists them.
 */
export const telemetryConfigSchema = z.object({
  /** Standard kill switch: true leaves the SDK unstarted whatever else is set. */
  OTEL_SDK_DISABLED: z.enum(['true', 'false', '']).optional(),
  /** `none` turns trace export off; `otlp` (the default) is the only exporter built in. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none', '']).optional(),
  /** Base URL of an OTLP/HTTP receiver; traces go to `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  /** The full traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
  /** Overrides the service's own name (e.g. `orders`, `delivery-worker`). */
  OTEL_SERVICE_NAME: z.string().min(1).max(100).optional(),
  /**
   * Which new traces are kept: every one (the default, `parentbased_always_on`), or a
   * fraction given by OTEL_TRACES_SAMPLER_ARG (`parentbased_traceidratio`). A trace begun
   * elsewhere follows its caller's decision either way.
   */
  OTEL_TRACES_SAMPLER: z
    .enum(['parentbased_always_on', 'parentbased_traceidratio', 'parentbased_always_off'])
    .optional(),
  /** The fraction for parentbased_traceidratio, 0 to 1. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
});

export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;

/** Empty strings count as unset, as the OpenTelemetry specification says. */
export function loadTelemetryConfig(
  env: Record<string, string | undefined> = process.env,
): TelemetryConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  return loadConfig('telemetry', telemetryConfigSchema, set);
}

/** Whether traces are exported at all: an OTLP endpoint is set and nothing turns it off. */
export function tracingWanted(config: TelemetryConfig): boolean {
  if (config.OTEL_SDK_DISABLED === 'true' || config.OTEL_TRACES_EXPORTER === 'none') return false;
  return !!(config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** The OTLP encoding: the specification's default is protobuf. */
export function tracesProtocol(config: TelemetryConfig): 'http/protobuf' | 'http/json' {
  const chosen = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL;
  return chosen === 'http/json' ? 'http/json' : 'http/protobuf';
}
