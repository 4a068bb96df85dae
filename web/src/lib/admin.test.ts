import { describe, expect, it } from 'vitest';
import type { OrgPolicy } from '../../../src/shared/api/shapes.js';
import { auditQuery } from '../components/admin/AuditLog.js';
import { parseDomains, policyChanges } from '../components/admin/PolicyForm.js';

const base: OrgPolicy = { externalMessaging: true, allow: 'anyone', allowDomains: [], blockDomains: [], requireAcceptance: false, externalFiles: true, maxFileBytes: 100 * 1024 * 1024 };

describe('admin form helpers', () => {
  it('parses domain lists loosely', () => {
    expect(parseDomains(' A.example, b.example;@c.example\nA.example ')).toEqual(['a.example', 'b.example', 'c.example']);
    expect(parseDomains('  ')).toEqual([]);
  });

  it('sends only the changed policy fields', () => {
    expect(policyChanges(base, { ...base })).toEqual({});
    expect(policyChanges(base, { ...base, externalMessaging: false, blockDomains: ['x.example'] })).toEqual({ externalMessaging: false, blockDomains: ['x.example'] });
  });

  it('builds audit filters with an inclusive end day', () => {
    expect(auditQuery({ action: ' user.deleted ', since: '', until: '' })).toEqual({ action: 'user.deleted' });
    expect(auditQuery({ action: '', since: '2024-03-01', until: '2024-03-31' })).toEqual({ since: '2024-03-01', until: '2024-04-01' });
    expect(auditQuery({ action: '', since: '', until: 'garbage' })).toEqual({});
  });
});
