import type { ErrorBody, ErrorCode, PolicyReason } from '../../shared/errors.js';

/**
 * The one error type services and handlers throw. The error handler turns it into the JSON of
 * design.md; anything else becomes a 500 that leaks nothing.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: Omit<ErrorBody['error'], 'code' | 'message'> = {},
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

export const badRequest = (message: string, issues?: { path: string; message: string }[]) =>
  new AppError(400, 'invalid_request', message, issues ? { issues } : {});

export const unauthenticated = (message = 'Sign in first') => new AppError(401, 'unauthenticated', message);

export const forbidden = (message = 'You are not allowed to do that') => new AppError(403, 'forbidden', message);

/** A refusal by the cross-org rules: 403 with a machine-readable reason. */
export const policyRefused = (reason: PolicyReason, message: string, status = 403) =>
  new AppError(status, 'policy_refused', message, { reason });

export const notFound = (what = 'That') => new AppError(404, 'not_found', `${what} was not found`);

export const conflict = (code: ErrorCode, message: string) => new AppError(409, code, message);

export const rateLimited = (retryAfterSeconds: number, message = 'Too many attempts; try again later') =>
  new AppError(429, 'rate_limited', message, { retryAfter: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
