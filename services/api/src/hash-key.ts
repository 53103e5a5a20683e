#!/usr/bin/env node
import { hashApiKey } from './domain/api-keys';

/**
 * Prints the SHA-256 of an API key for API_KEYS (`name:<hash>`), so plain keys never sit in configuration.
 * The key comes from the argument or, to keep it out of shell history, from standard input.
 */
async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === '--help' || arg === '-h') {
    process.stdout.write('Usage: telemetry-api-hash-key [KEY]   (reads the key from stdin when omitted)\n');
    return;
  }
  let key = arg;
  if (key === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
    key = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if (key.length < 16) {
    process.stderr.write(
      'refusing a key shorter than 16 characters; generate one with: openssl rand -hex 32\n',
    );
    process.exit(2);
  }
  process.stdout.write(`${hashApiKey(key)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
