// For processes whose entry point does not import a src/tracing.ts of its own (benchmark
// and test children that start a service through its fixture):
//   node --import tsx --import <repo>/packages/telemetry/src/preload.ts script.ts
// The service name defaults to the script's file name (users.ts → users).
import path from 'node:path';
import { startTracing } from './index';

startTracing(path.basename(process.argv[1] ?? 'node', path.extname(process.argv[1] ?? '')));
