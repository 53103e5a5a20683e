/** Label and field selectors as the API server parses them (`a=b,c!=d,e in (f,g),!h`). */
import { isObject, type JsonObject } from './patch';

export type Selector = (object: JsonObject) => boolean;

export class SelectorError extends Error {}

const splitTerms = (text: string): string[] => {
  const out: string[] = [];
  let depth = 0;
  let term = '';
  for (const ch of text) {
    if (ch === ',' && depth === 0) {
      out.push(term);
      term = '';
      continue;
    }
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    term += ch;
  }
  out.push(term);
  return out.map((t) => t.trim()).filter((t) => t !== '');
};

function parseTerm(term: string, value: (o: JsonObject, key: string) => string | undefined): Selector {
  const set = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = list.split(',').map((v) => v.trim());
    return (o) => {
      const v = value(o, key);
      return op === 'in' ? v !== undefined && values.includes(v) : v === undefined || !values.includes(v);
    };
  }
  const eq = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s=!]*)$/.exec(term);
  if (eq) {
    const [, key = '', op, want = ''] = eq;
    return op === '!=' ? (o) => value(o, key) !== want : (o) => value(o, key) === want;
  }
  const exists = /^(!?)([^\s!=()]+)$/.exec(term);
  if (exists) {
    const [, not, key = ''] = exists;
    return not ? (o) => value(o, key) === undefined : (o) => value(o, key) !== undefined;
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
}

const meta = (o: JsonObject): JsonObject => (isObject(o['metadata']) ? o['metadata'] : {});

export function labelSelector(text: string | null): Selector {
  const terms = splitTerms(text ?? '').map((t) =>
    parseTerm(t, (o, key) => {
      const labels = meta(o)['labels'];
      const v = isObject(labels) ? labels[key] : undefined;
      return typeof v === 'string' ? v : undefined;
    }),
  );
  return (o) => terms.every((t) => t(o));
}

/** Only `metadata.name` and `metadata.namespace`, the fields every kind supports. */
export function fieldSelector(text: string | null): Selector {
  const terms = splitTerms(text ?? '').map((t) => {
    const field = /^[^=!]+/.exec(t)?.[0].trim() ?? '';
    if (field !== 'metadata.name' && field !== 'metadata.namespace')
      throw new SelectorError(`field label not supported: ${field}`);
    return parseTerm(t, (o, key) => {
      const v = meta(o)[key.slice('metadata.'.length)];
      return typeof v === 'string' ? v : '';
    });
  });
  return (o) => terms.every((t) => t(o));
}
