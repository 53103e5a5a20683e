import type { Context } from 'koa';
import { ProblemError } from './problem';

/**
 * Reads a JSON request body of at most `limit` bytes: 413 beyond it (refused from Content-Length before
 * reading when it is declared), 415 for another media type or a compressed body, 400 for invalid JSON.
 * Returns undefined when there is no body.
 */
export async function readJsonBody(ctx: Context, limit: number): Promise<unknown> {
  const declared = ctx.request.length;
  const chunked = ctx.get('transfer-encoding') !== '';
  if (!chunked && (declared === undefined || declared === 0)) return undefined;
  if (declared !== undefined && declared > limit) {
    throw new ProblemError('payload-too-large', `The body may be at most ${limit} bytes.`);
  }
  if (!ctx.is('application/json', '+json')) {
    throw new ProblemError('unsupported-media-type', 'Send the body as application/json.');
  }
  const encoding = ctx.get('content-encoding');
  if (encoding !== '' && encoding !== 'identity') {
    throw new ProblemError('unsupported-media-type', 'Compressed request bodies are not accepted.');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new ProblemError('payload-too-large', `The body may be at most ${limit} bytes.`);
    chunks.push(chunk);
  }
  if (total === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new ProblemError('invalid-request', `The body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Reads a text body of one of `types` (e.g. `application/json`, `application/x-ndjson`) of at most `limit`
 * bytes, with the same refusals as {@link readJsonBody}; '' when there is none.
 */
export async function readTextBody(ctx: Context, limit: number, types: readonly string[]): Promise<string> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limit) {
    throw new ProblemError('payload-too-large', `The body may be at most ${limit} bytes.`);
  }
  if (!ctx.is(...types)) {
    throw new ProblemError('unsupported-media-type', `Send the body as ${types.join(' or ')}.`);
  }
  const encoding = ctx.get('content-encoding');
  if (encoding !== '' && encoding !== 'identity') {
    throw new ProblemError('unsupported-media-type', 'Compressed request bodies are not accepted.');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new ProblemError('payload-too-large', `The body may be at most ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
