import { ConfigError } from '@telemetry-pulse/shared/core';
import type { CommandDeps } from './deps';
import type { DeadLetter } from '../domain/dead-letter';
import { DlqToolError } from '../domain/errors';
import { formatInspect, letterToJson } from '../domain/format';
import type { InspectConfig } from '../config/command-config';
import type { PartitionOffsets } from '../domain/source';

/** The partition an address names; `<offset>` alone is only unambiguous on a one-partition topic. */
export function resolvePartition(
  partitions: readonly PartitionOffsets[],
  wanted: number | undefined,
  topic: string,
): PartitionOffsets {
  if (wanted === undefined) {
    const [only, ...more] = partitions;
    if (only && more.length === 0) return only;
    throw new ConfigError([
      `${topic} has ${partitions.length} partitions: write the address as <partition>:<offset>`,
    ]);
  }
  const found = partitions.find((p) => p.partition === wanted);
  if (found) return found;
  throw new ConfigError([`${topic} has no partition ${wanted} (it has 0..${partitions.length - 1})`]);
}

/** `inspect <partition>:<offset>`: every header, the key and the value of one dead letter. */
export async function runInspect(config: InspectConfig, deps: CommandDeps): Promise<void> {
  const { address, dlqTopic } = config;
  const p = resolvePartition(await deps.source.partitions(), address.partition, dlqTopic);
  const ref = `${p.partition}:${address.offset}`;
  const offset = BigInt(address.offset);
  if (offset < BigInt(p.low) || offset >= BigInt(p.high)) {
    const held = BigInt(p.low) < BigInt(p.high) ? `offsets ${p.low}..${BigInt(p.high) - 1n}` : 'nothing';
    throw new DlqToolError(`no dead letter at ${ref}: partition ${p.partition} of ${dlqTopic} holds ${held}`);
  }
  let found: DeadLetter | undefined;
  const to = (offset + 1n).toString();
  await deps.source.read([{ partition: p.partition, from: address.offset, to }], async (letters) => {
    found = letters.find((l) => l.offset === address.offset);
    return 'stop';
  });
  if (!found) throw new DlqToolError(`no dead letter at ${ref} (removed by compaction or retention?)`);
  deps.out(config.json ? JSON.stringify(letterToJson(found, dlqTopic)) : formatInspect(found, dlqTopic));
}
