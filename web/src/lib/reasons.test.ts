import { describe, expect, it } from 'vitest';
import { POLICY_REASONS } from '../../../src/shared/errors.js';
import { ApiError } from '../../../src/shared/client.js';
import { errorText, reasonText } from './reasons.js';

describe('reasonText', () => {
  it('prefers the server sentence', () => {
    expect(reasonText('blocked', 'You blocked them.')).toBe('You blocked them.');
  });

  it('has a sentence of its own for every reason of the contract', () => {
    const texts = POLICY_REASONS.map((r) => reasonText(r));
    for (const t of texts) expect(t).toMatch(/\w+.*\./);
    expect(new Set(texts).size).toBe(POLICY_REASONS.length);
  });

  it('falls back for an unknown reason', () => {
    expect(reasonText('something_new')).toBe('This is not allowed.');
  });
});

describe('errorText', () => {
  it('uses the reason of a policy refusal', () => {
    const err = new ApiError(403, { error: { code: 'policy_refused', message: '', reason: 'stage_off' } });
    expect(errorText(err)).toContain('switched off');
  });

  it('shows the first validation issue', () => {
    const err = new ApiError(400, { error: { code: 'invalid_request', message: 'bad', issues: [{ path: 'email', message: 'Not a valid email address' }] } });
    expect(errorText(err)).toBe('Not a valid email address');
  });

  it('names the wait of a rate limit', () => {
    const err = new ApiError(429, { error: { code: 'rate_limited', message: 'slow down', retryAfter: 12 } });
    expect(errorText(err)).toContain('12 seconds');
  });

  it('explains known codes and passes unknown messages through', () => {
    expect(errorText(new ApiError(401, { error: { code: 'invalid_credentials', message: 'x' } }))).toContain('do not match');
    expect(errorText(new ApiError(409, { error: { code: 'brand_new', message: 'Server says so' } }))).toBe('Server says so');
    expect(errorText(new TypeError('Failed to fetch'))).toContain('Cannot reach');
  });
});
