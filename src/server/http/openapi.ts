import { z } from 'zod';
import type { RouteDef } from '../../shared/api/define.js';

function toSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' });
  } catch {
    return {};
  }
}

/**
 * Answers may gain fields over time (design.md: "more fields are welcome"), so a response schema
 * never says `additionalProperties: false`: a client generated from the document must accept
 * them. Request bodies keep it: the server refuses fields it does not know.
 */
function openObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openObjects);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'additionalProperties' && v === false) continue;
    out[k] = openObjects(v);
  }
  return out;
}

/** Operations of one path, keyed by lower-case method, as they appear in the document. */
export type PathItem = Record<string, Record<string, unknown>>;

/**
 * The OpenAPI 3 document, generated from the same schemas that validate requests. `extra`
 * documents the few endpoints that are not JSON routes of the router (health, metrics, the
 * WebSocket), written out by hand where they are registered.
 */
export function buildOpenApi(routes: readonly RouteDef[], version: string, extra: Record<string, PathItem> = {}): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [p, item] of Object.entries(extra)) paths[p] = { ...item };
  for (const r of routes) {
    const p = r.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const js = toSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
      }
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      parameters,
      responses: {
        [String(r.status ?? 200)]: { description: 'Success', content: { 'application/json': { schema: openObjects(toSchema(r.response, 'output')) } } },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } };
    if ((r.auth ?? 'required') !== 'none') op.security = [{ bearer: [] }, { cookie: [] }];
    (paths[p] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Parley API', version },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'parley_session' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' } },
            },
          },
        },
      },
    },
  };
}
