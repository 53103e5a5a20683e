#!/usr/bin/env node
import { runMain } from '@telemetry-pulse/shared';
import { EXIT_INTERRUPTED, runDlqCommand } from './dlq/commands';

// Composition root of telemetry-dlq, the only place that touches `process`. Bad usage exits 2 via runMain.
runMain(async () => {
  // First Ctrl-C: finish the batch in hand (a replay send is never cut in half), clean up, print the
  // summary. Second: exit at once.
  const interrupt = new AbortController();
  const onSignal = (): void => {
    if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.exitCode = await runDlqCommand(process.argv.slice(2), process.env, {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: interrupt.signal,
  });
});
