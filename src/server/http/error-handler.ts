import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../../shared/errors.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/errors.js';
import { AppError } from './errors.js';

/** Fastify's own errors (parsing, limits) mapped to the contract's codes. */
function fromFastify(err: FastifyError): AppError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(400, 'invalid_json', 'The request body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(413, 'payload_too_large', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(415, 'unsupported_media_type', 'The Content-Type is missing or malformed: send JSON with Content-Type: application/json (an upload: the file\'s own type)');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(400, 'invalid_request', 'The Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new AppError(400, 'invalid_request', 'The URL is malformed');
  }
  if (err instanceof SyntaxError && err.statusCode === 400) return new AppError(400, 'invalid_json', 'The request body is not valid JSON');
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const code = err.statusCode === 413 ? 'payload_too_large' : err.statusCode === 429 ? 'rate_limited' : err.statusCode === 404 ? 'not_found' : 'invalid_request';
    return new AppError(err.statusCode, code, err.message || 'Bad request');
  }
  return null;
}

/**
 * The one place errors become JSON (design.md's error format). Unknown errors are logged with
 * their stack and answered as a 500 that says nothing about the cause.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const known = err instanceof AppError ? err : isDatabaseUnavailable(err) ? databaseUnavailable() : fromFastify(err as FastifyError);
    if (known) {
      if (known.status >= 500) req.log.error({ err }, 'request failed');
      for (const [k, v] of Object.entries(known.headers)) reply.header(k, v);
      return reply.code(known.status).send(known.toBody());
    }
    req.log.error({ err }, 'unexpected error');
    const body: ErrorBody = { error: { code: 'internal_error', message: 'Something went wrong on our side; please try again' } };
    return reply.code(500).send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    const body: ErrorBody = { error: { code: 'route_not_found', message: `No route ${req.method} ${req.url.split('?')[0]}` } };
    return reply.code(404).send(body);
  });
}

/**
 * Errors Fastify raises before routing (a URL that does not decode, a failed constraint) never
 * reach the error handler; passed as the `frameworkErrors` option, this gives them the same JSON.
 */
export function handleFrameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const known = fromFastify(err) ?? new AppError(400, 'invalid_request', 'The request is malformed');
  void reply.code(known.status).send(known.toBody());
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers or URL past the size
 * limit, broken framing, a request that never finishes arriving): answered with the contract's
 * JSON instead of Fastify's own body, then the connection is dropped. Passed as the
 * `clientErrorHandler` option.
 */
export function handleClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'invalid_request', 'The request headers or URL are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request took too long to arrive']
        : [400, 'invalid_request', 'The request is malformed'];
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  // Like Node's default: the rest of a refused request is not read.
  socket.destroy();
}
