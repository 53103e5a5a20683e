import { compressSync, uncompressSync } from 'snappy';
import type { KafkaCodec } from './types';
import { isXerialFramed, xerialFrame, xerialUnframe } from './xerial';

// copyOutputData: a copied result is 3-10x faster here than the default external buffer for 32 KiB blocks
// (measured on Node 20: 2 ms against 6 ms to decode a 0.7 MB batch), whose finalizers cost more than the copy.
const COPY = { copyOutputData: true } as const;

function uncompressBlock(block: Buffer): Buffer {
  const out = uncompressSync(block, { asBuffer: true, ...COPY });
  return typeof out === 'string' ? Buffer.from(out) : out;
}

/**
 * Kafka's snappy: written xerial-framed as the Java client and librdkafka write it, read framed or plain
 * (other clients, kafkajs-snappy among them, write one plain block). The synchronous calls are deliberate:
 * snappy runs at GB/s, so a batch's 32 KiB chunks cost less than one thread-pool hop each would.
 */
export const snappyCodec: KafkaCodec = {
  async compress(encoder) {
    return xerialFrame(encoder.buffer, (block) => compressSync(block, COPY));
  },
  async decompress(buffer) {
    return isXerialFramed(buffer) ? xerialUnframe(buffer, uncompressBlock) : uncompressBlock(buffer);
  },
};
