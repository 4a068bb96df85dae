import { describe, expect, it } from 'vitest';
import { POLICY_REASONS } from '../../../src/shared/errors.js';
import { ApiError } from '../../../src/shared/client.js';
import { errorText, reasonText, waitText } from './reasons.js';

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

  it('shows the first validation issue, naming its field', () => {
    const err = new ApiError(400, { error: { code: 'invalid_request', message: 'bad', issues: [{ path: 'body.email', message: 'Not a valid email address' }] } });
    expect(errorText(err)).toBe('Email: Not a valid email address');
    expect(errorText(err, { 'body.email': 'Work email' })).toBe('Work email: Not a valid email address');
  });

  it('names the field of a bare limit by the form’s label', () => {
    const err = new ApiError(400, { error: { code: 'invalid_request', message: 'maxFileBytes is at most 2147483648 on this deployment', issues: [{ path: 'body.maxFileBytes', message: 'at most 2147483648' }] } });
    expect(errorText(err, { 'body.maxFileBytes': 'Largest file (MiB)' })).toBe('Largest file (MiB): at most 2147483648');
    // Without a label the API name is still turned into words.
    expect(errorText(err)).toBe('Max file bytes: at most 2147483648');
  });

  it('speaks of API parameters by the form’s labels', () => {
    const err = new ApiError(400, { error: { code: 'invalid_request', message: 'since must not be after until' } });
    expect(errorText(err, { 'query.since': 'From', 'query.until': 'To' })).toBe('“From” must not be after “To”');
    const named = new ApiError(400, { error: { code: 'invalid_request', message: 'x', issues: [{ path: 'query.since', message: 'since is not a valid date' }] } });
    expect(errorText(named, { 'query.since': 'From' })).toBe('“From” is not a valid date');
  });

  it('names the wait of a rate limit, in minutes when it is long', () => {
    const short = new ApiError(429, { error: { code: 'rate_limited', message: 'slow down', retryAfter: 12 } });
    expect(errorText(short)).toContain('12 seconds');
    expect(errorText(new ApiError(429, { error: { code: 'rate_limited', message: 'x', retryAfter: 90 } }))).toContain('90 seconds');
    expect(errorText(new ApiError(429, { error: { code: 'rate_limited', message: 'x', retryAfter: 91 } }))).toContain('in 2 minutes.');
    expect(errorText(new ApiError(429, { error: { code: 'rate_limited', message: 'x', retryAfter: 896 } }))).toBe('Too many attempts. Please try again in 15 minutes.');
    expect(waitText(1)).toBe('1 second');
  });

  it('explains known codes and passes unknown messages through', () => {
    expect(errorText(new ApiError(401, { error: { code: 'invalid_credentials', message: 'x' } }))).toContain('do not match');
    expect(errorText(new ApiError(409, { error: { code: 'brand_new', message: 'Server says so' } }))).toBe('Server says so');
    expect(errorText(new TypeError('Failed to fetch'))).toContain('Cannot reach');
  });
});
