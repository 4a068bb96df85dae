import { afterEach, describe, expect, it } from 'vitest';
import type { OrgPolicy } from '../../../src/shared/api/shapes.js';
import { auditFilterProblem, auditQuery, localDayStart } from '../components/admin/AuditLog.js';
import { parseDomains, parseMaxFileMiB, policyChanges } from '../components/admin/PolicyForm.js';

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

  it('reads the largest file size as typed, checked against the deployment limit', () => {
    const MiB = 1024 * 1024;
    expect(parseMaxFileMiB('50', 2048 * MiB)).toEqual({ ok: true, bytes: 50 * MiB });
    expect(parseMaxFileMiB(' 2048 ', 2048 * MiB)).toEqual({ ok: true, bytes: 2048 * MiB });
    const tooBig = parseMaxFileMiB('2049', 2048 * MiB);
    expect(tooBig.ok).toBe(false);
    expect(!tooBig.ok && tooBig.message).toBe('Largest file (MiB): at most 2048 MiB on this server.');
    for (const bad of ['', '0', '1.5', '-3', 'abc']) {
      const r = parseMaxFileMiB(bad, 2048 * MiB);
      expect(r.ok, bad).toBe(false);
      expect(!r.ok && r.message, bad).toContain('Largest file (MiB)');
    }
    // Without a known limit only the lower bound applies.
    expect(parseMaxFileMiB('999999')).toEqual({ ok: true, bytes: 999999 * MiB });
  });

  it('builds audit filters with an inclusive end day', () => {
    expect(auditQuery({ action: ' user.deleted ', since: '', until: '' })).toEqual({ action: 'user.deleted' });
    expect(auditQuery({ action: '', since: '', until: 'garbage' })).toEqual({});
    expect(auditQuery({ action: '', since: '2024-02-30', until: '' })).toEqual({});
  });

  describe('audit days are the browser’s local days', () => {
    const zone = process.env.TZ;
    afterEach(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });

    it('east of UTC: a day starts before UTC midnight', () => {
      process.env.TZ = 'Asia/Tokyo';
      expect(auditQuery({ action: '', since: '2024-03-01', until: '2024-03-31' })).toEqual({ since: '2024-03-01T00:00:00+09:00', until: '2024-04-01T00:00:00+09:00' });
    });

    it('west of UTC, across a change of daylight saving time and a year', () => {
      process.env.TZ = 'America/New_York';
      // 10 March 2024: clocks go forward, so the next day starts at offset -04:00.
      expect(auditQuery({ action: '', since: '2024-03-10', until: '2024-03-10' })).toEqual({ since: '2024-03-10T00:00:00-05:00', until: '2024-03-11T00:00:00-04:00' });
      expect(localDayStart('2024-12-31', 1)).toBe('2025-01-01T00:00:00-05:00');
      // What the server makes of it: the local day in UTC.
      expect(new Date(localDayStart('2024-03-01')!).toISOString()).toBe('2024-03-01T05:00:00.000Z');
    });

    it('an offset with minutes', () => {
      process.env.TZ = 'Asia/Kolkata';
      expect(localDayStart('2024-06-15')).toBe('2024-06-15T00:00:00+05:30');
      process.env.TZ = 'America/St_Johns';
      expect(localDayStart('2024-01-15')).toBe('2024-01-15T00:00:00-03:30');
    });
  });

  it('says when From is after To, before asking the server', () => {
    expect(auditFilterProblem({ since: '2024-05-02', until: '2024-05-01' })).toContain('“From”');
    expect(auditFilterProblem({ since: '2024-05-01', until: '2024-05-01' })).toBeNull();
    expect(auditFilterProblem({ since: '', until: '2024-05-01' })).toBeNull();
  });
});
