import { ConfigError, parseOptions } from '@telemetry-pulse/shared';
import { apiOptionSpecs, hashApiKey, toApiConfig, withStatementTimeout } from '@telemetry-pulse/api';

function configFrom(env: Record<string, string>) {
  const parsed = parseOptions(apiOptionSpecs, [], env);
  if (parsed.help) throw new Error('unexpected help');
  return toApiConfig(parsed.config);
}

describe('API configuration', () => {
  it('has documented defaults', () => {
    const c = configFrom({});
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      readAuth: false,
      rateLimit: 20,
      rateBurst: 60,
      bodyLimit: 16_384,
      corsOrigins: [],
      sseMaxClients: 100,
      sseHeartbeatMs: 15_000,
      ssePollMs: 2_000,
      silentAfterMs: 300_000,
      topic: 'telemetry.events',
      groupId: 'telemetry-processor',
    });
    expect(c.apiKeys).toEqual([]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      configFrom({
        API_READ_AUTH: 'true',
        API_CORS_ORIGINS: '*,https://a.example',
        API_PORT: '99999',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
  });

  it('collects cross-field problems together', () => {
    expect(() => configFrom({ API_READ_AUTH: 'true', API_CORS_ORIGINS: '*,https://a.example/path' })).toThrow(
      expect.objectContaining({
        problems: [
          'API_READ_AUTH=true needs at least one key in API_KEYS',
          'API_CORS_ORIGINS is either * or a list of origins, not both',
          expect.stringContaining('no path'),
        ],
      }),
    );
  });

  it('refuses a malformed key entry', () => {
    expect(() => configFrom({ API_KEYS: 'ops:plain-key' })).toThrow(
      /API_KEYS entry 1 must be name:sha256hex/,
    );
  });

  it('parses keys into hashes', () => {
    const c = configFrom({ API_KEYS: `ops:${hashApiKey('k'.repeat(20))}`, API_READ_AUTH: 'yes' });
    expect(c.apiKeys.map((k) => k.name)).toEqual(['ops']);
    expect(c.readAuth).toBe(true);
  });

  it('adds the statement timeout to the connection options, keeping any there', () => {
    expect(withStatementTimeout('postgres://u:p@h:5432/db', 10_000)).toBe(
      'postgres://u:p@h:5432/db?options=-c+statement_timeout%3D10000',
    );
    const kept = new URL(
      withStatementTimeout('postgres://h/db?sslmode=require&options=-c%20search_path%3Dx', 5),
    );
    expect(kept.searchParams.get('options')).toBe('-c search_path=x -c statement_timeout=5');
    expect(kept.searchParams.get('sslmode')).toBe('require');
    expect(withStatementTimeout('postgres://h/db', 0)).toBe('postgres://h/db');
  });
});
