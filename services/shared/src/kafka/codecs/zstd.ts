import { promisify } from 'node:util';
import { zstdCompress, zstdDecompress } from 'node:zlib';
import type { KafkaCodec } from './types';

const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress);

/**
 * Kafka's zstd: one standard zstd frame, through Node's own libzstd (`node:zlib`, Node >= 22.15). It
 * decompresses as a stream, so frames written by streaming producers (the Java client, librdkafka), which
 * may not carry their decompressed size, need no output-size guess.
 */
export const zstdCodec: KafkaCodec = {
  compress: (encoder) => compress(encoder.buffer),
  decompress: (buffer) => decompress(buffer),
};
