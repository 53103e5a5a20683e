import { compressFrame, decompressFrame } from 'lz4-napi';
import type { KafkaCodec } from './types';

/**
 * Kafka's lz4 (record batch v2): one standard LZ4 frame. lz4-napi (lz4_flex) writes independent 64 KiB
 * blocks without checksums, as the Java client does, and reads whatever frame options librdkafka chose
 * (content size, content checksum, linked blocks).
 */
export const lz4Codec: KafkaCodec = {
  compress: (encoder) => compressFrame(encoder.buffer),
  decompress: (buffer) => decompressFrame(buffer),
};
