import { describe, expect, it } from 'vitest';
import type { Conversation, Message, Participant } from '../../shared/api/shapes.js';
import { terminalJson } from '../terminal.js';
import { eventLine, oneLine, People } from './format.js';

function person(userId: string, displayName: string): Participant {
  return { userId, email: `${userId}@example.com`, displayName, orgId: 'o', orgName: 'Org', external: false, deleted: false, pending: false, status: 'active' };
}

function message(over: Partial<Message>): Message {
  return { id: 'm', conversationId: 'c1', seq: 4, clientId: 'x', senderId: 'ann', body: 'hello', files: [], createdAt: '2024-01-01T10:00:00.000Z', changeSeq: 0, ...over };
}

describe('parley watch lines', () => {
  const people = new People();
  people.learn({ participants: [person('ann', 'Ann Lee')], formerParticipants: [person('bob', 'Bob Ray')] } as unknown as Conversation);

  it('names the sender of a message, people who left the group included', () => {
    expect(eventLine({ type: 'message.created', conversationId: 'c1', message: message({}) }, people)).toBe('10:00:00 c1 #4 Ann Lee: hello');
    expect(eventLine({ type: 'message.created', conversationId: 'c1', message: message({ senderId: 'bob', body: 'bye' }) }, people)).toBe('10:00:00 c1 #4 Bob Ray: bye');
  });

  it('lists a message’s files by name and id, to download them', () => {
    const file = (id: string, name: string) => ({ id, name, size: 3, contentType: 'text/plain', sha256: '', conversationId: 'c1', uploaderId: 'ann', createdAt: '2024-01-01T10:00:00.000Z' });
    const m = message({ body: 'two files', files: [file('f1', 'notes.txt'), file('f2', 'evil\u202egpj.exe')] });
    expect(eventLine({ type: 'message.created', conversationId: 'c1', message: m }, people)).toBe('10:00:00 c1 #4 Ann Lee: two files [notes.txt (f1), evilgpj.exe (f2)]');
  });

  it('shows a note about the group as what it says, without a sender prefix', () => {
    const note = message({ body: 'Ann Lee added Cat Poe', system: { action: 'members_added', actorId: 'ann', userIds: ['cat'] } });
    expect(eventLine({ type: 'message.created', conversationId: 'c1', message: note }, people)).toBe('10:00:00 c1 #4 · Ann Lee added Cat Poe');
  });

  it('keeps C1 controls and direction marks off the terminal, in texts and in names', () => {
    expect(oneLine('a\u009b31mb\u202ec\u200fd\u0085e\u2028f\u061cg\u2066h')).toBe('a 31mbcd e fgh');
    const hostile = new People();
    hostile.learn({ participants: [person('eve', 'Eve\u009d0;title\u009c\u202eBad')] } as unknown as Conversation);
    expect(eventLine({ type: 'typing', conversationId: 'c1', userId: 'eve', expiresInMs: 5000 }, hostile)).toBe('c1 Eve 0;title Bad is typing…');
    // JSON output keeps its value, written with escapes.
    const value = { name: 'x\u009by\u202ez\u007f', n: 1 };
    const json = terminalJson(value);
    expect(json).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
