import { describe, expect, it } from 'vitest';
import type { DirectoryEntry } from '../../../src/shared/api/directory.js';
import type { Conversation, Participant } from '../../../src/shared/api/shapes.js';
import { canCreateGroup, colleagueCandidates, GROUP_TITLE_MAX, noCandidateText, pickOf, removable, sortMembers, titleError, togglePick } from './groups.js';

const ME = 'me';

function entry(over: Partial<DirectoryEntry> = {}): DirectoryEntry {
  return { userId: 'u1', email: 'u1@a.example', displayName: 'Una', orgId: 'o1', orgName: 'Alpha', status: 'active', external: false, canMessage: { allowed: true }, ...over };
}

function member(over: Partial<Participant> = {}): Participant {
  return { userId: 'u1', email: 'u1@a.example', displayName: 'Una', orgId: 'o1', orgName: 'Alpha', external: false, deleted: false, pending: false, status: 'active', ...over };
}

function group(participants: Participant[]): Conversation {
  return { id: 'g', kind: 'group', title: 'Launch', state: 'live', participants, unreadCount: 0, lastSeq: 0, lastChangeSeq: 0, lastReadSeq: 0, lastActivityAt: '', createdAt: '', createdBy: ME };
}

describe('group chat forms', () => {
  it('checks titles like the server: required, trimmed, bounded', () => {
    expect(titleError('')).toMatch(/title/);
    expect(titleError('   ')).toMatch(/title/);
    expect(titleError('Launch')).toBeNull();
    expect(titleError(`  ${'x'.repeat(GROUP_TITLE_MAX)}  `)).toBeNull();
    expect(titleError('x'.repeat(GROUP_TITLE_MAX + 1))).toMatch(/at most 100/);
    expect(titleError('a\u0000b')).not.toBeNull();
  });

  it('offers only active colleagues of my org who are not me and not already in', () => {
    const items = [
      entry({ userId: ME }),
      entry({ userId: 'ext', external: true, orgId: 'o2' }),
      entry({ userId: 'off', status: 'deactivated' }),
      entry({ userId: 'in' }),
      entry({ userId: 'ok' }),
    ];
    expect(colleagueCandidates(items, ME, new Set(['in'])).map((e) => e.userId)).toEqual(['ok']);
    expect(colleagueCandidates([], ME)).toEqual([]);
  });

  it('explains an answer with no one to pick', () => {
    expect(noCandidateText([entry({ external: true })], ME, new Set())).toMatch(/own organization/);
    expect(noCandidateText([entry({ userId: 'in' })], ME, new Set(['in']))).toMatch(/Already/);
    expect(noCandidateText([entry({ status: 'deactivated' })], ME, new Set())).toMatch(/not active/);
    expect(noCandidateText([], ME, new Set())).toMatch(/No colleague/);
  });

  it('toggles picks and needs a title and at least one other member', () => {
    const una = pickOf(entry());
    let picked = togglePick([], una);
    expect(picked).toEqual([{ userId: 'u1', displayName: 'Una', email: 'u1@a.example' }]);
    expect(canCreateGroup('Launch', picked)).toBe(true);
    expect(canCreateGroup(' ', picked)).toBe(false);
    picked = togglePick(picked, una);
    expect(picked).toEqual([]);
    expect(canCreateGroup('Launch', picked)).toBe(false);
  });

  it('lists me first, then people by name, then inactive and former members', () => {
    const conv = group([
      member({ userId: 'z', displayName: 'Zed' }),
      member({ userId: 'gone', displayName: 'Abe', deleted: true, status: 'deleted' }),
      member({ userId: ME, displayName: 'Me' }),
      member({ userId: 'off', displayName: 'Al', status: 'deactivated' }),
      member({ userId: 'b', displayName: 'Bea' }),
    ]);
    expect(sortMembers(conv, ME).map((p) => p.userId)).toEqual([ME, 'b', 'z', 'off', 'gone']);
    expect(removable(member({ userId: ME }), ME)).toBe(false);
    expect(removable(member({ userId: 'b' }), ME)).toBe(true);
  });
});
