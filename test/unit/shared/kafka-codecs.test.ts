import { randomBytes } from 'node:crypto';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressSync } from 'snappy';
import {
  lz4Codec,
  registerCompressionCodecs,
  snappyCodec,
  zstdCodec,
  type KafkaCodec,
} from '@telemetry-pulse/shared';
import { isXerialFramed, xerialFrame, xerialUnframe } from '../../../services/shared/src/kafka/codecs/xerial';

/** Record-batch-like bytes: JSON text that compresses, with random bytes so blocks differ. */
function batchBytes(size: number): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (let i = 0; length < size; i += 1) {
    const part = Buffer.from(`{"event_id":"${randomBytes(8).toString('hex')}","value":${i % 977}},`);
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

const roundTrip = async (codec: KafkaCodec, input: Buffer) =>
  codec.decompress(await codec.compress({ buffer: input }));

/**
 * A zstd frame that, like the ones the Java client and librdkafka stream out, does not say how large its
 * content is: a header without a content size, then `blocks` RLE blocks of 128 KiB ('a', 'b', ...), so a
 * few hundred bytes stand for megabytes. Returns the frame and the content it decodes to.
 */
function zstdFrameWithoutContentSize(blocks: number): { frame: Buffer; content: Buffer } {
  const BLOCK = 128 * 1024;
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])]; // magic, no size/checksum, 128 KiB window
  const content: Buffer[] = [];
  for (let i = 0; i < blocks; i += 1) {
    const byte = 0x61 + (i % 26);
    const header = (BLOCK << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0); // size, type 1 = RLE, last block
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, byte]));
    content.push(Buffer.alloc(BLOCK, byte));
  }
  return { frame: Buffer.concat(parts), content: Buffer.concat(content) };
}

describe('xerial snappy framing', () => {
  const identity = (b: Buffer) => Buffer.from(b);

  it('writes the snappy-java header and one length-prefixed chunk per 32 KiB', () => {
    const framed = xerialFrame(Buffer.alloc(70 * 1024, 7), identity);
    expect(framed.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(framed.readInt32BE(16)).toBe(32 * 1024);
    expect(framed.readInt32BE(16 + 4 + 32 * 1024)).toBe(32 * 1024);
    expect(framed.readInt32BE(16 + 2 * (4 + 32 * 1024))).toBe(6 * 1024);
    expect(framed.length).toBe(16 + 3 * 4 + 70 * 1024);
  });

  it('reads back what it wrote, and concatenated streams', () => {
    const a = batchBytes(80_000);
    const b = batchBytes(1_000);
    expect(xerialUnframe(xerialFrame(a, identity), identity).equals(a)).toBe(true);
    const both = Buffer.concat([xerialFrame(a, identity), xerialFrame(b, identity)]);
    expect(xerialUnframe(both, identity).equals(Buffer.concat([a, b]))).toBe(true);
    expect(xerialUnframe(xerialFrame(Buffer.alloc(0), identity), identity)).toHaveLength(0);
  });

  it('tells framed from plain and refuses truncated chunks with where it stopped', () => {
    const framed = xerialFrame(batchBytes(1_000), identity);
    expect(isXerialFramed(framed)).toBe(true);
    expect(isXerialFramed(compressSync(batchBytes(1_000)))).toBe(false);
    expect(() => xerialUnframe(framed.subarray(0, framed.length - 1), identity)).toThrow(/chunk at byte 16/);
    expect(() => xerialUnframe(framed.subarray(0, 18), identity)).toThrow(/truncated/);
  });
});

describe('Kafka compression codecs', () => {
  const input = batchBytes(300_000);

  it('snappy writes xerial frames (as the Java client does) and reads framed and plain snappy', async () => {
    const compressed = await snappyCodec.compress({ buffer: input });
    expect(isXerialFramed(compressed)).toBe(true);
    expect(compressed.length).toBeLessThan(input.length);
    expect((await snappyCodec.decompress(compressed)).equals(input)).toBe(true);
    // librdkafka writes one plain snappy block for v2 record batches.
    expect((await snappyCodec.decompress(compressSync(input))).equals(input)).toBe(true);
  });

  it('lz4 writes one LZ4 frame of independent blocks and reads it back', async () => {
    const compressed = await lz4Codec.compress({ buffer: input });
    expect(compressed.readUInt32LE(0)).toBe(0x184d2204); // LZ4 frame magic
    expect(compressed.readUInt8(4) & 0x20).toBe(0x20); // FLG: independent blocks, as the Java client writes
    expect((await lz4Codec.decompress(compressed)).equals(input)).toBe(true);
  });

  it('zstd writes a standard frame and reads it back', async () => {
    const compressed = await zstdCodec.compress({ buffer: input });
    expect(compressed.readUInt32LE(0)).toBe(0xfd2fb528); // zstd frame magic
    expect((await zstdCodec.decompress(compressed)).equals(input)).toBe(true);
  });

  it('zstd reads a frame without a content size, as streaming producers write it', async () => {
    const { frame, content } = zstdFrameWithoutContentSize(40); // 5 MiB from 166 bytes
    expect((await zstdCodec.decompress(frame)).equals(content)).toBe(true);
  });

  it('fails a corrupt zstd batch', async () => {
    const corrupt = zstdFrameWithoutContentSize(2).frame;
    corrupt.writeUInt8(corrupt.readUInt8(6) | 0b110, 6); // block type 3 is reserved
    await expect(zstdCodec.decompress(corrupt)).rejects.toThrow(/corruption/i);
  });

  it('registers snappy, lz4 and zstd with kafkajs, which ships gzip only', async () => {
    registerCompressionCodecs();
    for (const [type, codec] of [
      [CompressionTypes.Snappy, snappyCodec],
      [CompressionTypes.LZ4, lz4Codec],
      [CompressionTypes.ZSTD, zstdCodec],
    ] as const) {
      expect(CompressionCodecs[type]()).toBe(codec);
    }
    expect(
      (await roundTrip(CompressionCodecs[CompressionTypes.GZIP]() as KafkaCodec, input)).equals(input),
    ).toBe(true);
  });
});
