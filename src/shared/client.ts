import type { ErrorBody } from './errors.js';
import { fillPath, type RouteDef, type RouteInput, type RouteOutput } from './api/define.js';

/** An error answered by the server, carrying the contract's stable `code` (and `reason`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.error.message);
    this.name = 'ApiError';
  }
  get code(): string {
    return this.body.error.code;
  }
  get reason(): string | undefined {
    return this.body.error.reason;
  }
}

export interface ClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`; empty for same-origin (browser). */
  baseUrl?: string;
  token?: string;
  /** Sent as `Parley-Client`, e.g. `cli/0.1.0`. */
  clientName?: string;
  fetch?: typeof fetch;
  /** Browser: send the session cookie. */
  credentials?: RequestCredentials;
  /**
   * Gives up on a call not answered within this time (a `TimeoutError`): a server that accepts
   * connections and never answers must not hold a command-line client forever.
   */
  timeoutMs?: number;
}

/**
 * The typed client for the public API. It is the only way the web client, the CLI and the tests
 * talk to a server, so each goes through the same contract.
 */
export class ParleyClient {
  token: string | undefined;
  readonly baseUrl: string;
  readonly timeoutMs: number | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs;
    this.fetchImpl = options.fetch ?? ((...args) => fetch(...args));
  }

  headers(extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (this.options.clientName) h['parley-client'] = this.options.clientName;
    return h;
  }

  url(path: string, query?: Record<string, unknown>): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      qs.set(k, String(v));
    }
    const s = qs.toString();
    return `${this.baseUrl}${path}${s ? `?${s}` : ''}`;
  }

  async call<D extends RouteDef>(route: D, ...args: Record<never, never> extends RouteInput<D> ? [RouteInput<D>?] : [RouteInput<D>]): Promise<RouteOutput<D>> {
    const input = (args[0] ?? {}) as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
    const path = fillPath(route.path, input.params);
    const init: RequestInit = { method: route.method, headers: this.headers() };
    if (this.options.credentials) init.credentials = this.options.credentials;
    if (this.options.timeoutMs) init.signal = AbortSignal.timeout(this.options.timeoutMs);
    if (input.body !== undefined) {
      init.body = JSON.stringify(input.body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await this.fetchImpl(this.url(path, input.query), init);
    return (await ParleyClient.read(res)) as RouteOutput<D>;
  }

  /** Parses an answer: JSON on success, `ApiError` otherwise. */
  static async read(res: Response): Promise<unknown> {
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const body =
        parsed && typeof parsed === 'object' && 'error' in parsed
          ? (parsed as ErrorBody)
          : { error: { code: `http_${res.status}`, message: text.slice(0, 200) || res.statusText } };
      throw new ApiError(res.status, body);
    }
    return parsed;
  }
}
