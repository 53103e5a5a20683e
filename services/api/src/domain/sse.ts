/**
 * Server-Sent Events framing (WHATWG HTML, "server-sent events"). Data is one line of JSON: JSON.stringify
 * escapes newlines inside strings, so a payload can never end a frame early.
 */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps proxies and the connection from timing out. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** Tells the browser how long to wait before reconnecting after the stream drops. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}
