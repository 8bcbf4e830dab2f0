// Imported first by main.ts and worker.ts: OpenTelemetry must patch http, pg, ioredis and
// the rest before anything loads them. Does nothing unless an OTLP endpoint is configured
// (docs/tracing.md).
import { startTracing } from '@shop/telemetry';

startTracing('products');
