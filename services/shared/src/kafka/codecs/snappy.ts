import { compressSync, uncompressSync } from 'snappy';
import type { KafkaCodec } from './types';
import { isXerialFramed, xerialFrame, xerialUnframe } from './xerial';

function uncompressBlock(block: Buffer): Buffer {
  const out = uncompressSync(block, { asBuffer: true });
  return typeof out === 'string' ? Buffer.from(out) : out;
}

/**
 * Kafka's snappy: written xerial-framed as the Java client and librdkafka write it, read framed or plain
 * (other clients, kafkajs-snappy among them, write one plain block). The synchronous calls are deliberate:
 * snappy runs at GB/s, so a batch's 32 KiB chunks cost less than one thread-pool hop each would.
 */
export const snappyCodec: KafkaCodec = {
  async compress(encoder) {
    return xerialFrame(encoder.buffer, (block) => compressSync(block));
  },
  async decompress(buffer) {
    return isXerialFramed(buffer) ? xerialUnframe(buffer, uncompressBlock) : uncompressBlock(buffer);
  },
};
