import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One endpoint of the public contract. The server registers its handler against this object
 * and the typed client calls it, so the path, the inputs and the output cannot drift apart.
 * The schemas also produce the OpenAPI document.
 */
export interface RouteDef<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** Fastify-style path, e.g. `/api/v1/conversations/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** `required` (default): a session is needed; `optional`; `none`: never looked at. */
  auth?: 'required' | 'optional' | 'none';
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Status of a successful answer (default 200). */
  status?: number;
  /** Cross-org feature endpoints answer 426 to clients below the operator's minimum version. */
  crossOrg?: boolean;
}

export function defineRoute<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodType,
>(def: RouteDef<P, Q, B, R>): RouteDef<P, Q, B, R> {
  return def;
}

// A part whose fields are all optional (typical for queries) may be left out by the caller.
type Field<K extends string, S> = S extends z.ZodUndefined
  ? { [_ in K]?: undefined }
  : Record<never, never> extends z.input<S>
    ? { [_ in K]?: z.input<S> }
    : { [_ in K]: z.input<S> };

/** What a caller passes for a route: `params`, `query` and `body` as the schemas accept them. */
export type RouteInput<D> =
  D extends RouteDef<infer P, infer Q, infer B, z.ZodType> ? Field<'params', P> & Field<'query', Q> & Field<'body', B> : never;

/** What the server answers for a route. */
export type RouteOutput<D> = D extends RouteDef<z.ZodType, z.ZodType, z.ZodType, infer R> ? z.output<R> : never;

/** Fills `:name` segments of a path. */
export function fillPath(path: string, params: Record<string, unknown> | undefined): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}
