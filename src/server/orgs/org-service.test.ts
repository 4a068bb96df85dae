import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors.js';
import { validateOrgName } from './org-service.js';

describe('an organization name', () => {
  const refusal = (name: string) => {
    try {
      validateOrgName(name);
      return null;
    } catch (err) {
      return err instanceof AppError ? [err.status, err.message] : err;
    }
  };

  it('is trimmed and may be any visible text', () => {
    expect(validateOrgName('  Acme GmbH & Co. KG  ')).toBe('Acme GmbH & Co. KG');
    expect(validateOrgName('東京商事')).toBe('東京商事');
    expect(validateOrgName('שלום בע״מ')).toBe('שלום בע״מ');
  });

  it('refuses what would spoof the text beside it where it is shown (External · <org>)', () => {
    for (const name of ['Evil\u202eexe.gpj', 'a\u2066b', 'tab\there', 'c1\u009bcontrol', 'nul\u0000']) {
      expect(refusal(name), JSON.stringify(name)).toEqual([400, 'An organization name cannot contain control or text-direction characters']);
    }
    expect(refusal('\u200b\u200b')).toEqual([400, 'An organization name needs at least one visible character']);
    expect(refusal('   ')).toEqual([400, 'An organization name is required']);
    expect(refusal('x'.repeat(101))).toEqual([400, 'An organization name has at most 100 characters']);
  });
});
