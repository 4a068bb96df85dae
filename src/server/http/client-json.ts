import type { FastifyInstance } from 'fastify';

/**
 * JSON from clients (request bodies, WebSocket frames) with every lone UTF-16 surrogate replaced
 * by U+FFFD.
 *
 * A JSON text may hold `"\ud800"`: a string that is not Unicode. Stored as it is, SQLite keeps
 * bytes that are not UTF-8 and PostgreSQL a replacement character, so what is read back differs
 * from what was sent, and differs between the two databases. A message's clientId read back that
 * way no longer matched its retry, which then failed on the unique index instead of answering the
 * first message. Replaced at the edge, every domain sees well-formed text, stores it, and finds it
 * again.
 */

/** Only a `\u` escape of a surrogate can put a lone one into a string parsed from UTF-8 text. */
const SURROGATE_ESCAPE = /\\u[dD][89abcdefABCDEF]/;

/** The value with every string in it (keys too) made well-formed; untouched values are reused. */
export function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.isWellFormed() ? value : value.toWellFormed();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = wellFormed(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = wellFormed(obj[key]);
      if (key.isWellFormed()) obj[key] = v;
      else {
        delete obj[key];
        obj[key.toWellFormed()] = v;
      }
    }
  }
  return value;
}

/** `value`, parsed from `text`, made well-formed: a scan of the text, and a walk only when needed. */
function fromClient(text: string, value: unknown): unknown {
  return SURROGATE_ESCAPE.test(text) ? wellFormed(value) : value;
}

/** `JSON.parse` for text from a client (throws as it does). */
export function parseClientJson(text: string): unknown {
  return fromClient(text, JSON.parse(text));
}

/**
 * Fastify's own JSON body parser (its limits, errors and prototype-poisoning checks), with the
 * result made well-formed as above.
 */
export function installClientJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    parse(req, text, (err, value) => {
      if (err) return done(err);
      done(null, fromClient(text, value));
    });
  });
}
