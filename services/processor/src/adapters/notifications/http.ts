/** A failed POST; `permanent` when retrying the same request cannot help (a 4xx other than 408 and 429). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/** POSTs a JSON body; resolves on 2xx, else rejects with a DeliveryError (also on timeout or `signal`). */
export async function postJson(
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: signal
        ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal])
        : AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new DeliveryError(`POST ${url}: ${reason}`, false, { cause: err });
  }
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
  throw new DeliveryError(`POST ${url}: HTTP ${res.status} ${text.slice(0, 200)}`.trim(), permanent);
}
