/**
 * Rows in PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
 * Format"), written into one growing Buffer. Compared with the text format the server does no parsing of
 * uuids, numbers and timestamps (their `recv` functions read fixed-width bytes), no escaping is needed, and
 * the client builds no intermediate strings: for the processor's raw readings the COPY text was an eighth
 * of everything it allocated.
 *
 * Fields are written in the column order of the COPY statement; every row must have `columns` fields.
 */
export class BinaryCopyWriter {
  private buf: Buffer;
  private at = 0;

  constructor(
    private readonly columns: number,
    initialBytes = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 64));
    // Signature, flags (no OIDs), header extension length.
    this.buf.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
    this.buf.writeInt32BE(0, 11);
    this.buf.writeInt32BE(0, 15);
    this.at = 19;
  }

  /**
   * Starts a row; `maxBytes` bounds what its fields will take (field lengths included), so the fields need
   * no capacity checks of their own.
   */
  row(maxBytes: number): this {
    this.reserve(2 + maxBytes);
    this.at = this.buf.writeInt16BE(this.columns, this.at);
    return this;
  }

  null(): this {
    this.at = this.buf.writeInt32BE(-1, this.at);
    return this;
  }

  /** text: UTF-8 bytes. ASCII (every id the simulator makes) is copied code unit by code unit. */
  text(s: string | null): this {
    if (s === null) return this.null();
    const buf = this.buf;
    const start = this.at + 4;
    let o = start;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        o = start + buf.write(s, start, 'utf8');
        break;
      }
      buf[o++] = c;
    }
    buf.writeInt32BE(o - start, this.at);
    this.at = o;
    return this;
  }

  /** uuid: 16 bytes from the canonical 36-character form (hex digits in either case). */
  uuid(s: string): this {
    if (s.length !== 36) throw new RangeError(`not a UUID for COPY: ${JSON.stringify(s)}`);
    const buf = this.buf;
    let o = this.buf.writeInt32BE(16, this.at);
    for (let i = 0; i < 36;) {
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (s.charCodeAt(i) !== 0x2d) throw new RangeError(`not a UUID for COPY: ${JSON.stringify(s)}`);
        i += 1;
        continue;
      }
      const hi = hexValue(s.charCodeAt(i));
      const lo = hexValue(s.charCodeAt(i + 1));
      if (hi < 0 || lo < 0) throw new RangeError(`not a UUID for COPY: ${JSON.stringify(s)}`);
      buf[o++] = (hi << 4) | lo;
      i += 2;
    }
    this.at = o;
    return this;
  }

  /** float8 (finite only: a NaN or an infinity in a reading is a bug upstream). */
  float8(v: number): this {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number for COPY: ${v}`);
    this.at = this.buf.writeInt32BE(8, this.at);
    this.at = this.buf.writeDoubleBE(v, this.at);
    return this;
  }

  int4(v: number): this {
    this.at = this.buf.writeInt32BE(4, this.at);
    this.at = this.buf.writeInt32BE(v, this.at);
    return this;
  }

  /** int8 from a safe integer (Kafka offsets, exact below 2^53). */
  int8(v: number): this {
    this.at = this.buf.writeInt32BE(8, this.at);
    return this.int64(v, 'int8');
  }

  /** timestamptz from epoch milliseconds: microseconds since 2000-01-01 UTC (integer datetimes). */
  timestamptzMs(ms: number): this {
    this.at = this.buf.writeInt32BE(8, this.at);
    return this.int64((ms - POSTGRES_EPOCH_MS) * 1000, 'timestamptz');
  }

  /** The rows so far and the trailer: the whole COPY payload. The writer must not be used after. */
  finish(): Buffer {
    this.reserve(2);
    this.at = this.buf.writeInt16BE(-1, this.at);
    return this.buf.subarray(0, this.at);
  }

  private int64(v: number, what: string): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer for COPY ${what}: ${v}`);
    const hi = Math.floor(v / 2 ** 32);
    this.at = this.buf.writeInt32BE(hi, this.at);
    this.at = this.buf.writeUInt32BE(v - hi * 2 ** 32, this.at);
    return this;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

/** 2000-01-01T00:00:00Z, where PostgreSQL's binary timestamps count from. */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
