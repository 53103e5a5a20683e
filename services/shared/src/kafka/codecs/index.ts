import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { lz4Codec } from './lz4';
import { snappyCodec } from './snappy';
import { zstdCodec } from './zstd';

export type { KafkaCodec } from './types';
export { lz4Codec, snappyCodec, zstdCodec };

/** Every codec a Kafka record batch can carry, as the producer option names them. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const KAFKAJS_COMPRESSION: Readonly<Record<Compression, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/**
 * Teaches kafkajs (which ships gzip only, and fails a whole fetch on any other codec) snappy, lz4 and zstd.
 * kafkajs keeps codecs in one module-wide table, so this is per process; idempotent.
 */
export function registerCompressionCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
