#!/usr/bin/env node
import { formatHelp, opt, parseOptions } from './config';
import { createPool, databaseOptionSpecs, migrate } from './db';
import { createLogger, type LogLevel } from './log';
import { runMain } from './process';

const specs = {
  ...databaseOptionSpecs,
  logLevel: { env: 'LOG_LEVEL', help: 'Log level.', defaultText: 'info', schema: opt.string('info') },
};

runMain(async () => {
  const parsed = parseOptions(specs, process.argv.slice(2), process.env);
  if (parsed.help) {
    process.stdout.write(
      `${formatHelp('npm run migrate', 'Applies pending SQL migrations (services/shared/migrations) to DATABASE_URL.', specs)}\n`,
    );
    return;
  }
  const { config } = parsed;
  const logger = createLogger({ service: 'migrate', level: config.logLevel as LogLevel });
  const pool = createPool({
    url: config.databaseUrl,
    ca: config.databaseCa,
    caFile: config.databaseCaFile,
    max: 1,
    applicationName: 'telemetry-migrate',
    logger,
  });
  try {
    const applied = await migrate(pool, logger);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'schema already up to date');
  } finally {
    await pool.end();
  }
});
