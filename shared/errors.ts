/**
 * The few typed errors every service throws. Each carries a machine `code`; the HTTP layer maps
 * the code to a status once (see `shared/http/app.ts`), so domain code never picks status numbers.
 */
export const errorStatus = {
  invalid_input: 400,
  unauthorized: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): (typeof errorStatus)[ErrorCode] {
    return errorStatus[this.code];
  }
}

/** A write's condition did not hold (the Table port's equivalent of ConditionalCheckFailed). */
export class ConditionFailedError extends AppError {
  constructor(message = 'the record changed or already exists') {
    super('conflict', message);
    this.name = 'ConditionFailedError';
  }
}

export const invalidInput = (message: string, details?: unknown) => new AppError('invalid_input', message, details);
export const unauthorized = (message = 'sign in to continue') => new AppError('unauthorized', message);
export const forbidden = (message = 'you are not allowed to do this') => new AppError('forbidden', message);
export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const conflict = (message: string) => new AppError('conflict', message);
export const paymentRequired = (message: string) => new AppError('payment_required', message);

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
