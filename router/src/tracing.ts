// Imported first by main.ts: OpenTelemetry must patch http, undici and ioredis before
// anything loads them. Does nothing unless an OTLP endpoint is configured (docs/tracing.md).
import { startTracing } from '@shop/telemetry';

startTracing('router');
