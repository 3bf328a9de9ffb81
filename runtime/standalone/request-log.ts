import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestIdOf } from '#shared/http/app.js';
import type { Logger } from '#shared/log.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One log line per request (method, path, status, ms) under a request id: the caller's
 * `x-request-id` or a fresh one, set on the request for the apps and echoed on the response.
 */
export function withRequestLog(logger: Logger, listener: Listener): Listener {
  return (req, res) => {
    const started = performance.now();
    // hono/request-id's rule, so the apps keep this very id (they replace ids it would refuse).
    const requestId = requestIdOf(req.headers['x-request-id'] as string | undefined);
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    // Read before dispatch: the issuer rewrites req.url.
    const path = (req.url ?? '/').split('?')[0];
    res.on('finish', () => {
      logger.info('request', {
        requestId,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    listener(req, res);
  };
}
