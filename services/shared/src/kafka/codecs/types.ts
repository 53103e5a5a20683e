/**
 * A kafkajs compression codec (kafkajs calls `compress` with its record encoder, `decompress` with the bytes
 * of one record batch's records section).
 */
export interface KafkaCodec {
  compress(encoder: { readonly buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
