import { beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../testing/each-db.js';
import type { TestServer } from '../testing/server.js';
import { expectContractError, expectNoServerError, raw, type RawResponse } from './helpers.js';
import { sweepFixture, type SweepFixture } from './sweep-fixture.js';

/**
 * The generic bad-input sweep, driven by the server's own OpenAPI document so that every
 * endpoint added later is covered without touching this file. For each operation: malformed
 * and mistyped bodies, oversized strings, unknown fields, hostile path parameters and odd
 * query strings. Whatever comes back, it is never a 5xx, every error has the contract's shape
 * and a known code, and the node still answers /healthz.
 */

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  nullable?: boolean;
  minimum?: number;
}

interface Operation {
  method: string;
  /** OpenAPI path, `{name}` segments. */
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  requiredQuery: string[];
  body: JsonSchema | null;
  secured: boolean;
}

interface Variant {
  label: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The answer must be a 4xx (the input is wrong whatever the route). */
  mustFail?: boolean;
  noAuth?: boolean;
}

function operations(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters ?? []) as { name: string; in: string; required?: boolean; schema: JsonSchema }[];
      const body = ((op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content?.['application/json']?.schema ?? null) as JsonSchema | null;
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
        requiredQuery: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name),
        body,
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return ops;
}

function typeOf(s: JsonSchema): string | undefined {
  const alt = s.anyOf ?? s.oneOf ?? s.allOf;
  if (alt && alt.length > 0) return typeOf(alt[0]!);
  return Array.isArray(s.type) ? s.type[0] : s.type;
}

/** A plausible valid value for a field, by name first (the fixture's real ids), then by schema. */
function sample(name: string, s: JsonSchema, f: SweepFixture): unknown {
  const byName = f.values[name];
  if (byName !== undefined) return byName();
  if (s.enum && s.enum.length > 0) return s.enum[0];
  switch (typeOf(s)) {
    case 'string':
      return s.format === 'email' ? f.values.email!() : 'sweep';
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return sampleObject(s, f);
    default:
      return 'sweep';
  }
}

function sampleObject(s: JsonSchema, f: SweepFixture): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = sample(k, v, f);
  return out;
}

const TEN_KB = 'x'.repeat(10 * 1024);
const HUGE_PARAM = 'a'.repeat(300);

const PATH_VALUES: [string, string][] = [
  ['huge', HUGE_PARAM],
  ['long', 'b'.repeat(150)],
  ['dot-dot-slash', '..%2F..%2F..%2Fetc%2Fpasswd'],
  ['dot-dot', '%2E%2E'],
  ['nul', '%00'],
  ['nul-inside', 'x%00y'],
  ['unicode', '%E2%98%83%F0%9F%92%A9'],
  ['sql', encodeURIComponent("1' OR '1'='1'; DROP TABLE users; --")],
  ['percent', '%25'],
  ['bad-escape', '%E0%A4%A'],
  ['html', encodeURIComponent('<script>alert(1)</script>')],
  ['negative', '-1'],
  ['space', '%20'],
];

const QUERY_VALUES: [string, (k: string) => string][] = [
  ['repeated', (k) => `${k}=1&${k}=2`],
  ['negative', (k) => `${k}=-1`],
  ['nan', (k) => `${k}=NaN`],
  ['infinity', (k) => `${k}=1e309`],
  ['huge-number', (k) => `${k}=${'9'.repeat(40)}`],
  ['float', (k) => `${k}=1.5`],
  ['empty', (k) => `${k}=`],
  ['array-syntax', (k) => `${k}[]=1&${k}[]=2`],
  ['object-syntax', (k) => `${k}[a]=1`],
  ['10kB', (k) => `${k}=${TEN_KB}`],
  ['nul', (k) => `${k}=%00`],
  ['unicode', (k) => `${k}=%E2%98%83`],
  ['sql', (k) => `${k}=${encodeURIComponent("' OR 1=1 --")}`],
  ['proto', () => `__proto__[x]=1&constructor[prototype][x]=1`],
];

function fillPath(op: Operation, f: SweepFixture, override?: [string, string]): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => (override && override[0] === name ? override[1] : encodeURIComponent(f.pathValue(op.path, name))));
}

function baselineQuery(op: Operation, f: SweepFixture, except?: string): string[] {
  return op.requiredQuery.filter((k) => k !== except).map((k) => `${k}=${encodeURIComponent(String(sample(k, op.query[k]!, f)))}`);
}

function variants(op: Operation, f: SweepFixture): Variant[] {
  const out: Variant[] = [];
  const path = fillPath(op, f);
  const base = baselineQuery(op, f);
  const json = { 'content-type': 'application/json' };
  if (op.secured) out.push({ label: 'no credentials', path, query: base.join('&'), noAuth: true, mustFail: true });

  for (const p of op.pathParams) {
    for (const [label, value] of PATH_VALUES) out.push({ label: `path ${p} ${label}`, path: fillPath(op, f, [p, value]), query: base.join('&') });
  }

  const names = Object.keys(op.query);
  for (const k of names.length > 0 ? names : ['unknownParam']) {
    for (const [label, make] of QUERY_VALUES) out.push({ label: `query ${k} ${label}`, path, query: [...baselineQuery(op, f, k), make(k)].join('&') });
  }

  if (op.method !== 'GET') {
    const hasBody = op.body !== null;
    const q = base.join('&');
    const bodies: [string, string][] = [
      ['malformed JSON', '{"a":'],
      ['array', '[]'],
      ['null', 'null'],
      ['string', '"text"'],
      ['number', '42'],
      ['true', 'true'],
      ['deep nesting', '['.repeat(5000) + ']'.repeat(5000)],
      ['proto pollution', '{"__proto__":{"role":"admin","isAdmin":true},"constructor":{"prototype":{"x":1}}}'],
      ['unicode escapes', '{"a":"\\ud800\\u0000\\uffff"}'],
    ];
    for (const [label, body] of bodies) {
      out.push({ label: `body ${label}`, path, query: q, headers: json, body, mustFail: hasBody && label !== 'proto pollution' && label !== 'unicode escapes' });
    }
    out.push({ label: 'body past the size limit', path, query: q, headers: json, body: JSON.stringify({ pad: 'x'.repeat(f.bodyLimit + 10) }) });
    if (hasBody) {
      const good = sampleObject(op.body!, f);
      out.push({ label: 'body as text/plain', path, query: q, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(good), mustFail: true });
      out.push({ label: 'body as form', path, query: q, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1', mustFail: true });
      out.push({ label: 'body without content-type', path, query: q, headers: {}, body: JSON.stringify(good), mustFail: true });
      out.push({ label: 'body with an unknown field', path, query: q, headers: json, body: JSON.stringify({ ...good, unknownField: 'x' }) });
      const all10k = Object.fromEntries(Object.entries(good).map(([k, v]) => [k, typeof v === 'string' ? TEN_KB : v]));
      out.push({ label: 'body 10kB in every string field', path, query: q, headers: json, body: JSON.stringify(all10k) });
      for (const [k, v] of Object.entries(good)) {
        const field = (label: string, value: unknown, mustFail = false) =>
          out.push({ label: `body ${k} ${label}`, path, query: q, headers: json, body: JSON.stringify({ ...f.fresh(good), [k]: value }), mustFail });
        if (typeof v === 'string') {
          field('10kB', TEN_KB);
          field('as number', 12345, true);
          field('with NUL', `a\u0000b`);
          field('lone surrogate', 'a\ud800b');
          field('whitespace', '   ');
          field('unicode', 'ÅÉÎ☃💩\u202e');
          field('sql', "'; DROP TABLE users; --");
        }
        field('null', null, (op.body!.required ?? []).includes(k));
        field('object', { nested: { deep: [1, 2, 3] } }, true);
        field('array', ['x']);
        field('huge number', 1e308);
        field('negative', -1);
      }
    }
  }
  return out;
}

async function send(t: TestServer, op: Operation, v: Variant, token: string): Promise<RawResponse | null> {
  const url = `${v.path}${v.query ? `?${v.query}` : ''}`;
  try {
    return await raw(t, op.method, url, { token: v.noAuth ? undefined : token, headers: v.headers, body: v.body });
  } catch (err) {
    // Only a refused oversized body may end in the server closing the socket early.
    if (v.label === 'body past the size limit') return null;
    throw err;
  }
}

describeEachDb('security: bad-input sweep of every endpoint in the OpenAPI document', (t) => {
  let ops: Operation[] = [];

  beforeAll(async () => {
    const doc = (await (await fetch(`${t().url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    ops = operations(doc);
  });

  it('finds the contract endpoints in the document', () => {
    const names = ops.map((o) => `${o.method} ${o.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/signup',
        'POST /api/v1/conversations/{id}/messages',
        'PATCH /api/v1/orgs/{id}/settings',
        'GET /api/v1/files/{id}',
        'GET /api/v1/directory/search',
      ]),
    );
    expect(ops.length).toBeGreaterThanOrEqual(35);
  });

  it('never answers a 5xx, always answers errors in the contract shape, and stays healthy', async () => {
    let requests = 0;
    for (const op of ops) {
      const f = await sweepFixture(t());
      for (const v of variants(op, f)) {
        const token = await f.token();
        const res = await send(t(), op, v, token);
        requests++;
        if (!res) continue;
        const label = `${op.method} ${op.path} [${v.label}]`;
        expectNoServerError(res, label);
        if (v.mustFail) expectContractError(res, label);
        if (res.status >= 400) expect(res.headers.get('content-type') ?? '', label).toMatch(/^application\/json/);
      }
      const health = await fetch(`${t().url}/healthz`);
      expect(health.status, `unhealthy after ${op.method} ${op.path}`).toBe(200);
    }
    expect(requests).toBeGreaterThan(1000);
  }, 300_000);

  it('answers methods and paths outside the document with a contract 404', async () => {
    for (const [method, path] of [
      ['PUT', '/api/v1/me'],
      ['DELETE', '/api/v1/conversations'],
      ['GET', '/api/v1/conversations/x/nope'],
      ['GET', '/api/v2/me'],
      ['POST', '/api/v1/../../etc/passwd'],
      ['GET', '/api/v1/%2e%2e/%2e%2e/etc/passwd'],
    ] as const) {
      const res = await raw(t(), method, path);
      expectContractError(res, `${method} ${path}`);
    }
  });
});
