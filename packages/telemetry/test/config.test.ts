import http from 'node:http';
import { ConfigError } from '@shop/config';
import { loadTelemetryConfig, startTracing, tracesProtocol, tracingWanted } from '../src';

const wanted = (env: Record<string, string>) => tracingWanted(loadTelemetryConfig(env));

describe('when tracing starts', () => {
  it('is off without an OTLP endpoint, and on with either standard variable', () => {
    expect(wanted({})).toBe(false);
    expect(wanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(wanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(
      true,
    );
  });

  it('treats empty values as unset, as the OpenTelemetry specification says', () => {
    expect(wanted({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: '' })).toBe(false);
  });

  it('stays off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(wanted({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(wanted({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('exports protobuf unless JSON is asked for', () => {
    expect(tracesProtocol(loadTelemetryConfig({}))).toBe('http/protobuf');
    expect(tracesProtocol(loadTelemetryConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }))).toBe(
      'http/json',
    );
    expect(
      tracesProtocol(
        loadTelemetryConfig({
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
        }),
      ),
    ).toBe('http/protobuf');
  });

  it('refuses gRPC and malformed endpoints at start-up, naming the variable', () => {
    expect(() => loadTelemetryConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is invalid: OTLP over gRPC is not built in/,
    );
    expect(() => loadTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' })).toThrow(
      ConfigError,
    );
  });

  it('samples new traces as OTEL_TRACES_SAMPLER says, parent-based only', () => {
    expect(
      loadTelemetryConfig({
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toMatchObject({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 0.25,
    });
    expect(() => loadTelemetryConfig({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG="2" is invalid/,
    );
    // A sampler that would cut a trace begun by the caller in the middle is refused.
    expect(() => loadTelemetryConfig({ OTEL_TRACES_SAMPLER: 'traceidratio' })).toThrow(
      /OTEL_TRACES_SAMPLER="traceidratio" is invalid/,
    );
  });

  it('leaves the process untouched when off: no SDK, nothing patched', () => {
    expect(startTracing('probe', {})).toBe(false);
    expect((http.request as { __wrapped?: boolean }).__wrapped).toBeUndefined();
  });
});
