import { hashApiKey, mintStreamToken, parseApiKeys, verifyStreamToken } from '@telemetry-pulse/api';

const { keys } = parseApiKeys([
  `ops:${hashApiKey('ops-key-0123456789')}`,
  `dash.board:${hashApiKey('dash-key-0123456789')}`,
]);
const [ops, dash] = keys as [(typeof keys)[0], (typeof keys)[0]];
const NOW = 1_764_000_000_000;

describe('stream tokens', () => {
  it('open the stream as the key they were minted for, until they expire', () => {
    const { token, expiresAtMs } = mintStreamToken(dash, NOW, 60_000);
    expect(token).toMatch(/^\d+\.[A-Za-z0-9_-]{43}\.dash\.board$/); // URL-safe, a dotted name included
    expect(expiresAtMs).toBe(NOW + 60_000);
    expect(verifyStreamToken(keys, token, NOW)?.name).toBe('dash.board');
    expect(verifyStreamToken(keys, token, expiresAtMs - 1)?.name).toBe('dash.board');
    expect(verifyStreamToken(keys, token, expiresAtMs)).toBeUndefined();
  });

  it('are refused when tampered with, signed by another key, or for a key no longer configured', () => {
    const { token } = mintStreamToken(ops, NOW);
    const [exp, sig] = token.split('.') as [string, string];
    const later = `${Number(exp) + 3600}.${sig}.ops`;
    const renamed = `${exp}.${sig}.dash.board`;
    const flipped = `${exp}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}.ops`;
    for (const bad of [later, renamed, flipped, '', 'ops', `${exp}..ops`, `${token}x`]) {
      expect({ bad, key: verifyStreamToken(keys, bad, NOW) }).toEqual({ bad, key: undefined });
    }
    expect(verifyStreamToken([dash], token, NOW)).toBeUndefined(); // ops removed from API_KEYS
  });
});
