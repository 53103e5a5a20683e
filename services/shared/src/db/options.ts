import { z } from 'zod';
import { opt, type OptionSpec } from '../config';

export const DEFAULT_DATABASE_URL = 'postgres://telemetry:telemetry@127.0.0.1:5432/telemetry';

/** PostgreSQL connection options shared by the services (local, docker-compose, Neon with TLS). */
export const databaseOptionSpecs = {
  databaseUrl: {
    env: 'DATABASE_URL',
    help: 'PostgreSQL connection URL; add ?sslmode=require for TLS (Neon).',
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
} satisfies Record<string, OptionSpec>;
