import { resolve } from 'node:path';
import { parseConfig, StandaloneConfig } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { needsCloudFrontKeys } from '#platform/local/cloudfront-keys.js';
import { needsIdentityKey } from '#platform/local/identity/keys.js';
import { makeRsaKeysAhead } from '#platform/local/rsa-keys.js';

/** `npm start`: the standalone runtime. Configuration comes from the environment, parsed once here. */
let logger = createLogger({ base: { app: 'kinema' } });
try {
  const config = parseConfig(StandaloneConfig, process.env);
  logger = createLogger({ level: config.KINEMA_LOG_LEVEL, base: { app: 'kinema' } });
  // A first start makes two RSA keys: in the thread pool from here, while the server's modules
  // load (imported below, not statically, so that this runs first). Only generated; the adapters
  // write them, once the data folder is theirs.
  const dataDir = resolve(config.KINEMA_DATA);
  makeRsaKeysAhead(Number(needsIdentityKey(dataDir)) + Number(needsCloudFrontKeys(dataDir)));
  const { startStandalone } = await import('./server.js');
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
