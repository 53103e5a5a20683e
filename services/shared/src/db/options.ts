import { z } from 'zod';
import { opt, type OptionSpec } from '../config';
import { pemFileSchema, pemTextSchema } from '../kafka/tls-options';

export const DEFAULT_DATABASE_URL = 'postgres://telemetry:telemetry@127.0.0.1:5432/telemetry';

/** PostgreSQL connection options shared by the services (local, docker-compose, Neon with TLS). */
export const databaseOptionSpecs = {
  databaseUrl: {
    env: 'DATABASE_URL',
    help: 'PostgreSQL connection URL. TLS as libpq: ?sslmode=require (encrypted, not verified), verify-ca or verify-full; sslrootcert=<path>; channel_binding=require (docs/security.md).',
    defaultText: DEFAULT_DATABASE_URL,
    secret: true,
    schema: opt
      .string(DEFAULT_DATABASE_URL)
      .pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')),
  },
  databasePoolMax: {
    env: 'DATABASE_POOL_MAX',
    help: 'Maximum connections in the pool of this process.',
    defaultText: '10',
    schema: opt.int(10, 1, 200),
  },
  databaseCa: {
    env: 'DATABASE_CA',
    help: "CA (PEM text) the server's certificate must chain to; without sslmode in the URL it means verify-full.",
    schema: pemTextSchema('DATABASE_CA_FILE'),
  },
  databaseCaFile: {
    env: 'DATABASE_CA_FILE',
    help: 'Path of the PEM CA, as DATABASE_CA (or sslrootcert= in the URL).',
    schema: pemFileSchema(),
  },
} satisfies Record<string, OptionSpec>;
