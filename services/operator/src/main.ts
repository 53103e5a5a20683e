#!/usr/bin/env node
// The service's definition is loaded after tracing starts, so http load patched (shared/src/service.ts).
import { runService } from '@telemetry-pulse/shared/service';

runService({ tracingName: 'telemetry-operator', load: () => import('./service.js') });
