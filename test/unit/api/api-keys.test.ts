import { findApiKey, hashApiKey, parseApiKeys } from '@telemetry-pulse/api';

const KEY = 'correct-horse-battery-staple';

describe('API keys', () => {
  it('hashes with SHA-256 (hex)', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('finds the owner of a presented key and nobody for another key', () => {
    const { keys, problems } = parseApiKeys([
      `ops:${hashApiKey(KEY)}`,
      `ci:${hashApiKey('other-key-0000000')}`,
    ]);
    expect(problems).toEqual([]);
    expect(findApiKey(keys, KEY)?.name).toBe('ops');
    expect(findApiKey(keys, 'other-key-0000000')?.name).toBe('ci');
    expect(findApiKey(keys, `${KEY}x`)).toBeUndefined();
    expect(findApiKey(keys, '')).toBeUndefined();
    expect(findApiKey([], KEY)).toBeUndefined();
  });

  it('accepts upper-case hex', () => {
    const { keys } = parseApiKeys([`ops:${hashApiKey(KEY).toUpperCase()}`]);
    expect(findApiKey(keys, KEY)?.name).toBe('ops');
  });

  it('reports every bad entry without echoing it (a pasted plain key must not reach the logs)', () => {
    const { problems } = parseApiKeys([
      'ops:not-a-hash',
      KEY,
      `a:${hashApiKey('x')}`,
      `a:${hashApiKey('y')}`,
    ]);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).not.toContain(KEY);
    expect(problems.join('\n')).not.toContain('not-a-hash');
    expect(problems[2]).toContain('"a" appears twice');
  });

  it('refuses the name "engine", which the processor reads as its own resolves', () => {
    const { problems } = parseApiKeys([`Engine:${'a'.repeat(64)}`]);
    expect(problems).toEqual(['API_KEYS name "engine" is reserved for the alert engine']);
  });

  it('reads an optional site list (name:hash:site|site) and refuses an empty one', () => {
    const { keys, problems } = parseApiKeys([
      `gw:${hashApiKey(KEY)}:site-1|site-2`,
      `all:${hashApiKey('x'.repeat(20))}`,
    ]);
    expect(problems).toEqual([]);
    expect([...(keys[0]?.sites ?? [])]).toEqual(['site-1', 'site-2']);
    expect(keys[1]?.sites).toBeUndefined();
    expect(parseApiKeys([`gw:${hashApiKey(KEY)}:`], 'API_INGEST_KEYS').problems).toEqual([
      expect.stringContaining('API_INGEST_KEYS entry 1'),
    ]);
  });
});
