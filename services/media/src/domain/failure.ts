import { z } from 'zod';

export { MediaRejected } from '#shared/ports/transcoder.js';

/** The `$.error` a Catch puts into the state: `{Error, Cause}`. */
export const StateError = z.object({ Error: z.string().default('States.TaskFailed'), Cause: z.string().default('') });
export type StateError = z.infer<typeof StateError>;

const MAX_REASON = 500;

/**
 * Turns a caught state error into a sentence. Lambda puts a JSON `{errorType, errorMessage}` in
 * the cause, MediaConvert the job (with `ErrorMessage`), the local runner the plain message.
 */
export function readableFailure(error: StateError): string {
  const message = causeMessage(error.Cause);
  let reason: string;
  if (error.Error === 'MediaRejected') reason = message || 'the file was rejected';
  else if (error.Error === 'States.Timeout') reason = 'processing took too long and was stopped; retry it';
  else if (error.Error === 'MediaConvert.Failed' || /mediaconvert/i.test(error.Error)) {
    reason = `the transcoder failed${message ? `: ${message}` : ''}`;
  } else reason = `processing failed${message ? `: ${message}` : ` (${error.Error})`}`;
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

function causeMessage(cause: string): string {
  const text = cause.trim();
  if (!text.startsWith('{')) return text;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    for (const field of ['errorMessage', 'ErrorMessage', 'message']) {
      const value = parsed[field];
      if (typeof value === 'string' && value) return value;
    }
  } catch {
    // not JSON after all: the text is the message
  }
  return text;
}
