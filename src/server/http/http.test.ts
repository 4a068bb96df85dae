import { expect, it } from 'vitest';
import { describeEachDb } from '../testing/each-db.js';

describeEachDb('http basics', (t) => {
  it('answers /healthz with the version', async () => {
    const res = await fetch(`${t().url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, version: expect.any(String) });
  });

  it('answers unknown routes with a JSON 404 carrying a stable code', async () => {
    const res = await fetch(`${t().url}/api/v1/does-not-exist`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'route_not_found', message: expect.stringContaining('/api/v1/does-not-exist') } });
  });

  it('serves metrics in the Prometheus text format, counting requests', async () => {
    await fetch(`${t().url}/healthz`);
    const res = await fetch(`${t().url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE parley_http_requests_total counter');
    expect(text).toMatch(/parley_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/);
    expect(text).toContain('parley_websocket_connections');
    expect(text).toContain('parley_messages_sent_total');
  });

  it('serves an OpenAPI document listing the contract paths', async () => {
    const res = await fetch(`${t().url}/api/v1/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/signup', '/api/v1/me']));
  });

  it('keeps serving after a request with a huge URL parameter', async () => {
    const res = await fetch(`${t().url}/api/v1/conversations/${'x'.repeat(5000)}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await fetch(`${t().url}/healthz`)).status).toBe(200);
  });
});
