#!/usr/bin/env node
import { runMain } from '@telemetry-pulse/shared';
import { EXIT_INTERRUPTED, runDlqCommand } from './dlq/cli/run';

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
  const code = await runDlqCommand(process.argv.slice(2), process.env, {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: interrupt.signal,
  });
  // A failed command has said why; kafkajs may still hold retry timers of a connection that can never
  // succeed (an untrusted certificate), which would keep the process alive for a minute.
  if (code !== 0) process.exit(code);
  process.exitCode = code;
});
