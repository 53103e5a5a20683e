#!/usr/bin/env node
// The service's definition is loaded after tracing starts, so pg, http or koa load patched (shared/src/service.ts).
import { runService } from '@telemetry-pulse/shared/service';

runService({ tracingName: 'telemetry-processor', load: () => import('./service.js') });
