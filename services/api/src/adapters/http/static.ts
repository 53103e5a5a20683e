import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Middleware } from 'koa';

/** services/api/public, from both src/adapters/http (ts-jest) and dist/adapters/http (node). */
export const DASHBOARD_PUBLIC_DIR = path.resolve(__dirname, '../../../public');

/** The only file types served: anything else is refused rather than guessed (and never sniffed). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** What the page needs when the API adds no policy of its own: nothing but its own origin. */
const DEFAULT_CSP = "default-src 'self'";

export interface DashboardOptions {
  /** Folder holding index.html and assets/ (normally DASHBOARD_PUBLIC_DIR). */
  readonly publicDir: string;
  /**
   * Files from node_modules served as /assets/vendor/<name>, e.g.
   * `{ 'chart.js': require.resolve('some-lib/dist/chart.min.js') }`. The page draws its own SVG today, so
   * none are needed; the map keeps npm assets a one-line addition, with no build step.
   */
  readonly vendor?: Readonly<Record<string, string>>;
}

/**
 * The file a dashboard URL path maps to, or undefined when it is not one: `/` and `/index.html`, files
 * under `/assets/` (no `..`, no hidden files, no backslashes or NULs, even percent-encoded) and the
 * vendored files under `/assets/vendor/`. Only extensions with a known content type qualify.
 */
export function resolveDashboardFile(
  publicDir: string,
  vendor: Readonly<Record<string, string>>,
  urlPath: string,
): string | undefined {
  if (urlPath === '/' || urlPath === '/index.html') return path.join(publicDir, 'index.html');
  if (!urlPath.startsWith('/assets/')) return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath.slice('/assets/'.length));
  } catch {
    return undefined; // malformed percent-encoding
  }
  if (/[\\\0]/.test(relative)) return undefined;
  const segments = relative.split('/');
  if (segments.some((s) => s === '' || s.startsWith('.'))) return undefined; // '..', '.', hidden, '//'
  if (!(path.extname(relative).toLowerCase() in CONTENT_TYPES)) return undefined;
  if (segments[0] === 'vendor') {
    const name = segments.length === 2 ? segments[1] : undefined;
    return name !== undefined && Object.hasOwn(vendor, name) ? vendor[name] : undefined;
  }
  const assets = path.join(publicDir, 'assets');
  const file = path.join(assets, ...segments);
  return file.startsWith(assets + path.sep) ? file : undefined;
}

interface CachedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * Koa middleware serving the dashboard: `/` → index.html, `/assets/*` → public/assets and the vendored
 * npm files. GET and HEAD only; anything else, and any miss, falls through to `next()` (the API's 404).
 *
 * Caching: file names carry no content hash (there is no build step), so every response is
 * `Cache-Control: no-cache` with a strong ETag; browsers revalidate and get a 304 for unchanged files,
 * and a deploy is visible on the next load. Files are small and few, so their bytes are kept in memory
 * and re-read only when size or mtime change.
 */
export function serveDashboard(options: DashboardOptions): Middleware {
  const publicDir = path.resolve(options.publicDir);
  const vendor = options.vendor ?? {};
  const cache = new Map<string, CachedFile>();

  async function load(file: string): Promise<CachedFile | undefined> {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const cached = cache.get(file);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const entry = { mtimeMs: info.mtimeMs, size: info.size, body, etag };
    cache.set(file, entry);
    return entry;
  }

  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const file = resolveDashboardFile(publicDir, vendor, ctx.path);
    const entry = file === undefined ? undefined : await load(file);
    if (file === undefined || entry === undefined) return next();

    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    ctx.status = 200;
    ctx.type = type;
    ctx.etag = entry.etag;
    ctx.lastModified = new Date(entry.mtimeMs);
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (type.startsWith('text/html') && !ctx.response.get('Content-Security-Policy'))
      ctx.set('Content-Security-Policy', DEFAULT_CSP);
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = entry.body;
  };
}
