/**
 * The xerial snappy-java stream framing that Kafka's Java client and librdkafka wrap snappy record batches in:
 * a 16-byte header (magic, version 1, compatible version 1), then chunks of [int32 big-endian length][raw
 * snappy block]. Pure: the block codec is passed in, so the framing is tested without the native library.
 */

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // 0x82 "SNAPPY" 0x00
const HEADER_BYTES = 16;
/** snappy-java's default block size; each chunk is one raw snappy block of at most this much input. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;

/** True when `buf` starts with the xerial header; anything else is read as one plain snappy block. */
export function isXerialFramed(buf: Buffer, at = 0): boolean {
  return buf.length - at >= HEADER_BYTES && buf.subarray(at, at + MAGIC.length).equals(MAGIC);
}

/** Frames `input` as snappy-java does: the header, then one compressed chunk per `blockBytes` of input. */
export function xerialFrame(
  input: Buffer,
  compressBlock: (block: Buffer) => Buffer,
  blockBytes = XERIAL_BLOCK_BYTES,
): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // oldest version that can read it
  const parts: Buffer[] = [header];
  for (let at = 0; at < input.length; at += blockBytes) {
    const block = compressBlock(input.subarray(at, at + blockBytes));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/**
 * Reads a framed stream back. A header met where a chunk length is due starts a concatenated stream, as
 * snappy-java accepts (no chunk length can look like one: the magic's first byte makes it negative).
 */
export function xerialUnframe(buf: Buffer, uncompressBlock: (block: Buffer) => Buffer): Buffer {
  if (!isXerialFramed(buf)) throw new Error('not an xerial snappy stream (no header)');
  const parts: Buffer[] = [];
  let at = HEADER_BYTES;
  while (at < buf.length) {
    if (isXerialFramed(buf, at)) {
      at += HEADER_BYTES;
      continue;
    }
    if (buf.length - at < 4) {
      throw new Error(
        `xerial snappy stream truncated: ${buf.length - at} bytes left where a chunk length is due`,
      );
    }
    const length = buf.readInt32BE(at);
    if (length < 0 || at + 4 + length > buf.length) {
      throw new Error(
        `xerial snappy chunk at byte ${at} claims ${length} bytes, but the stream has ${buf.length - at - 4} left`,
      );
    }
    parts.push(uncompressBlock(buf.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return Buffer.concat(parts);
}
