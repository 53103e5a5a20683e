import { promisify } from 'node:util';
import zlib from 'node:zlib';
import * as wasm from '@bokuweb/zstd-wasm';
import type { KafkaCodec } from './types';

type ZlibCall = (buf: Buffer, callback: (err: Error | null, out: Buffer) => void) => void;

/** `node:zlib`'s zstd (Node >= 22.15 and 23.8), typed here because the project still builds against Node 20's types. */
function nodeZstd(): KafkaCodec | undefined {
  const z = zlib as unknown as { zstdCompress?: ZlibCall; zstdDecompress?: ZlibCall };
  if (typeof z.zstdCompress !== 'function' || typeof z.zstdDecompress !== 'function') return undefined;
  const compress = promisify(z.zstdCompress.bind(zlib));
  const decompress = promisify(z.zstdDecompress.bind(zlib));
  return { compress: (encoder) => compress(encoder.buffer), decompress: (buffer) => decompress(buffer) };
}

const WASM_FIRST_GUESS = 1 << 20; // bytes; the wasm build needs an output size when the frame does not carry one
const WASM_MAX_OUTPUT = 256 << 20; // bytes; a batch past this is refused rather than grown without end
const DST_SIZE_TOO_SMALL = -70; // ZSTD_error_dstSize_tooSmall, as the wasm build's size_t comes back

/** The error code the wasm build puts at the end of its message ("Failed to compress with code -70"). */
function wasmErrorCode(err: unknown): number | undefined {
  const match = err instanceof Error ? /code (-?\d+)$/.exec(err.message) : null;
  return match ? Number(match[1]) | 0 : undefined;
}

let wasmReady: Promise<void> | undefined;

/**
 * The zstd reference library compiled to WASM (no native build, no download). Frames written by streaming
 * producers (the Java client, librdkafka) may not carry their decompressed size; then the output buffer is
 * guessed and doubled while zstd says it is too small.
 */
export const wasmZstdCodec: KafkaCodec = {
  async compress(encoder) {
    await (wasmReady ??= wasm.init());
    return Buffer.from(wasm.compress(encoder.buffer, 3));
  },
  async decompress(buffer) {
    await (wasmReady ??= wasm.init());
    for (let size = Math.max(WASM_FIRST_GUESS, buffer.length * 8); ; size *= 2) {
      try {
        return Buffer.from(wasm.decompress(buffer, { defaultHeapSize: size }));
      } catch (err) {
        if (wasmErrorCode(err) !== DST_SIZE_TOO_SMALL) throw err;
        if (size >= WASM_MAX_OUTPUT) {
          throw new Error(`zstd batch decompresses to more than ${WASM_MAX_OUTPUT} bytes`, { cause: err });
        }
      }
    }
  },
};

/** `node:zlib`'s zstd where this Node has it (a maintained part of Node, streaming, no size guess), else WASM. */
export const nodeZstdCodec: KafkaCodec | undefined = nodeZstd();
export const zstdCodec: KafkaCodec = nodeZstdCodec ?? wasmZstdCodec;
