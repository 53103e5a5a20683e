import { decodeBytes, escapeControls, previewBytes } from './bytes';
import { letterRef, originOf, replayCountOf, type DeadLetter } from './dead-letter';

const PREVIEW_CHARS = 80;

function replayCountText(letter: DeadLetter): string {
  const count = replayCountOf(letter);
  return count.ok ? String(count.count) : `invalid(${escapeControls(count.raw)})`;
}

/**
 * One `list` line: `partition:offset  dead-letter time  error code  original topic/partition@offset
 * replays=N  value preview`. Header text is escaped: it comes from the message, not from us.
 */
export function formatListLine(letter: DeadLetter): string {
  const o = originOf(letter);
  const field = (text: string | undefined): string => (text === undefined ? '?' : escapeControls(text));
  return [
    letterRef(letter).padEnd(8),
    new Date(letter.timestampMs).toISOString(),
    field(o.errorCode).padEnd(18),
    `${field(o.topic)}/${field(o.partition)}@${field(o.offset)}`,
    `replays=${replayCountText(letter)}`,
    previewBytes(letter.value, PREVIEW_CHARS),
  ].join('  ');
}

function bytesJson(bytes: Buffer | null): { data: string | null; encoding: 'utf8' | 'base64' | null } {
  if (bytes === null) return { data: null, encoding: null };
  const d = decodeBytes(bytes);
  return { data: d.text, encoding: d.encoding };
}

/** The whole dead letter as one JSON object (`--json`): every header, key and value in full. */
export function letterToJson(letter: DeadLetter, dlqTopic: string): Record<string, unknown> {
  const o = originOf(letter);
  const count = replayCountOf(letter);
  const key = bytesJson(letter.key);
  const value = bytesJson(letter.value);
  const headers: Record<string, string> = {};
  const binaryHeaders: string[] = [];
  for (const [name, bytes] of Object.entries(letter.headers)) {
    const d = decodeBytes(bytes);
    headers[name] = d.text;
    if (d.encoding === 'base64') binaryHeaders.push(name);
  }
  return {
    topic: dlqTopic,
    partition: letter.partition,
    offset: letter.offset,
    timestamp: new Date(letter.timestampMs).toISOString(),
    errorCode: o.errorCode ?? null,
    errorMessage: o.errorMessage ?? null,
    original: {
      topic: o.topic ?? null,
      partition: o.partition === undefined ? null : Number(o.partition),
      offset: o.offset ?? null,
      timestamp: o.timestamp ?? null,
    },
    replayCount: count.ok ? count.count : count.raw,
    key: key.data,
    keyEncoding: key.encoding,
    value: value.data,
    valueEncoding: value.encoding,
    headers,
    // Named so a consumer of the JSON knows which header values above are base64, not text.
    ...(binaryHeaders.length > 0 ? { base64Headers: binaryHeaders } : {}),
  };
}

function bytesSection(label: string, bytes: Buffer | null): string[] {
  if (bytes === null) return [`${label}: null`];
  const d = decodeBytes(bytes);
  const note = d.encoding === 'utf8' ? 'UTF-8' : 'base64; not valid UTF-8';
  return [`${label} (${bytes.length} bytes, ${note}):`, escapeControls(d.text, true)];
}

/** `inspect` output: where the letter is, every header, then key and value in full. */
export function formatInspect(letter: DeadLetter, dlqTopic: string): string {
  const names = Object.keys(letter.headers);
  const width = Math.max(0, ...names.map((n) => n.length));
  const lines = [
    `Dead letter ${dlqTopic} ${letterRef(letter)}`,
    `Dead-lettered at ${new Date(letter.timestampMs).toISOString()} (Kafka timestamp)`,
    `Headers (${names.length}):`,
  ];
  for (const name of names) {
    const d = decodeBytes(letter.headers[name] ?? Buffer.alloc(0));
    const shown = d.encoding === 'utf8' ? escapeControls(d.text) : `${d.text} (base64; not valid UTF-8)`;
    lines.push(`  ${escapeControls(name).padEnd(width)}  ${shown}`);
  }
  lines.push(...bytesSection('Key', letter.key), ...bytesSection('Value', letter.value));
  return lines.join('\n');
}

/** Says when a run stopped before the end, so a partial count is not read as the whole DLQ. */
export function readTail(read: number, total: number): string {
  return read < total ? ` (stopped after ${read} of ${total})` : '';
}

/** Tail of `list`: how many matched and were shown, then the count per error code, largest first. */
export function formatListSummary(s: {
  read: number;
  /** Dead letters in the ranges; more than `read` when the run was interrupted. */
  total: number;
  matched: number;
  shown: number;
  byCode: ReadonlyMap<string, number>;
}): string {
  const head = `${s.matched} of ${s.read} dead letters matched${readTail(s.read, s.total)}`;
  const shown = s.shown < s.matched ? `; showing the first ${s.shown} (--limit 0 shows all)` : '';
  const lines = [`${head}${shown}.`];
  const rows = [...s.byCode]
    .map(([code, n]) => [escapeControls(code), n] as const)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (rows.length > 0) {
    const width = Math.max(...rows.map(([code]) => code.length));
    lines.push('By error code:', ...rows.map(([code, n]) => `  ${code.padEnd(width)}  ${n}`));
  }
  return lines.join('\n');
}
