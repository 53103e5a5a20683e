import { spawn, spawnSync } from 'node:child_process';
import type { Compression } from '@telemetry-pulse/shared';
import { BROKERS } from './infra';

/**
 * kcat (librdkafka's command-line client, Debian package `kcat`, installed by scripts/test.sh): a producer
 * and consumer that is not kafkajs, so the tests see the bytes other clients write and read.
 */
export function requireKcat(): void {
  const probe = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error('kcat is not installed: run `bash scripts/test.sh` once, or `apt-get install kcat`');
  }
}

function run(args: readonly string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', BROKERS.join(','), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`)),
    );
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

const MESSAGE_END = 0x1e; // ASCII record separator: kcat -D splits stdin here
const KEY_END = 0x1f; // ASCII unit separator: kcat -K splits key from value here

/**
 * Produces `messages` to one partition in one kcat run (so they share compressed batches), each with
 * `headers`. Keys and values must not contain the two separator bytes 0x1e and 0x1f.
 */
export async function kcatProduce(opts: {
  topic: string;
  partition: number;
  compression: Compression;
  messages: readonly { key: Buffer; value: Buffer }[];
  headers?: Readonly<Record<string, string>>;
}): Promise<void> {
  const input: Buffer[] = [];
  for (const m of opts.messages) {
    for (const b of [m.key, m.value]) {
      if (b.includes(MESSAGE_END) || b.includes(KEY_END))
        throw new Error('kcatProduce: separator byte in a message');
    }
    input.push(m.key, Buffer.from([KEY_END]), m.value, Buffer.from([MESSAGE_END]));
  }
  const headerArgs = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  await run(
    [
      '-P',
      '-t',
      opts.topic,
      '-p',
      String(opts.partition),
      '-z',
      opts.compression,
      '-K',
      '\\x1f',
      '-D',
      '\\x1e',
      '-X',
      'linger.ms=100',
      ...headerArgs,
    ],
    Buffer.concat(input),
  );
}

export interface KcatRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** kcat's `%h`: name=value pairs joined by commas. */
  readonly headers: string;
}

const RECORD_END = Buffer.from('\x1d\x1d\n');

/** Every record of `topic` from the beginning, read by librdkafka, bytes as stored. */
export async function kcatConsume(topic: string): Promise<KcatRecord[]> {
  // Lengths first, so keys and values may hold any byte; headers last, up to a marker.
  const out = await run([
    '-C',
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-q',
    '-f',
    '%p|%o|%K|%S|%k%s%h\\x1d\\x1d\\n',
  ]);
  const records: KcatRecord[] = [];
  let at = 0;
  const field = (): number => {
    const end = out.indexOf(0x7c, at); // '|'
    const n = Number(out.subarray(at, end).toString());
    at = end + 1;
    return n;
  };
  const bytes = (length: number): Buffer | null => {
    if (length < 0) return null;
    const b = out.subarray(at, at + length);
    at += length;
    return Buffer.from(b);
  };
  while (at < out.length) {
    const partition = field();
    const offset = field();
    const keyLength = field();
    const valueLength = field();
    const key = bytes(keyLength);
    const value = bytes(valueLength);
    const end = out.indexOf(RECORD_END, at);
    const headers = out.subarray(at, end).toString();
    at = end + RECORD_END.length;
    records.push({ partition, offset, key, value, headers });
  }
  return records;
}
