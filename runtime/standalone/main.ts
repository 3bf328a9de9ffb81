import { parseConfig, StandaloneConfig } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { startStandalone } from './server.js';

/** `npm start`: the standalone runtime. Configuration comes from the environment, parsed once here. */
let logger = createLogger({ base: { app: 'kinema' } });
try {
  const config = parseConfig(StandaloneConfig, process.env);
  logger = createLogger({ level: config.KINEMA_LOG_LEVEL, base: { app: 'kinema' } });
  const kinema = await startStandalone(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    kinema.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { err: error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  logger.error('kinema could not start', { reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
