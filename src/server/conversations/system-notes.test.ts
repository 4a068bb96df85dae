import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { Message } from '../../shared/api/shapes.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import type { TestServer } from '../testing/server.js';
import { getUserWithOrg } from '../accounts/store.js';
import { doAddMembers, doRemoveMember } from './groups.js';
import { getConversationRow } from './store.js';
import { describeNote } from './system-notes.js';
import { cid, expectApiError, recordEvents } from './test-helpers.js';

describe('describeNote', () => {
  const names: Record<string, string> = { a: 'Ann', b: 'Bob', c: 'Cat', d: 'Dan', e: 'Eve' };
  const nameOf = (id: string) => names[id] ?? 'Someone';
  it('says who did what, in words', () => {
    expect(describeNote({ action: 'members_added', actorId: 'a', userIds: ['b'] }, nameOf)).toBe('Ann added Bob');
    expect(describeNote({ action: 'members_added', actorId: 'a', userIds: ['b', 'c'] }, nameOf)).toBe('Ann added Bob and Cat');
    expect(describeNote({ action: 'members_added', actorId: 'a', userIds: ['b', 'c', 'd'] }, nameOf)).toBe('Ann added Bob, Cat and Dan');
    expect(describeNote({ action: 'members_added', actorId: 'a', userIds: ['b', 'c', 'd', 'e'] }, nameOf)).toBe('Ann added Bob, Cat, Dan and 1 other');
    expect(describeNote({ action: 'members_added', actorId: 'a', userIds: ['b', 'c', 'd', 'e', 'x'] }, nameOf)).toBe('Ann added Bob, Cat, Dan and 2 others');
    expect(describeNote({ action: 'member_removed', actorId: 'a', userIds: ['b'] }, nameOf)).toBe('Ann removed Bob');
    expect(describeNote({ action: 'member_left', actorId: 'b' }, nameOf)).toBe('Bob left the group');
    expect(describeNote({ action: 'renamed', actorId: 'a', title: 'Launch' }, nameOf)).toBe('Ann renamed the group to “Launch”');
    expect(describeNote({ action: 'created', actorId: 'a', title: 'Launch', userIds: ['b', 'c'] }, nameOf)).toBe('Ann created the group “Launch” with Bob and Cat');
    expect(describeNote({ action: 'created', actorId: 'a', title: 'Launch', userIds: ['b', 'c', 'd', 'e'] }, nameOf)).toBe('Ann created the group “Launch” with Bob, Cat, Dan and 1 other');
    // A note keeps the first ids of a long list and says how many there were.
    expect(describeNote({ action: 'members_added', actorId: 'a', userIds: ['b', 'c', 'd', 'e'], userCount: 120 }, nameOf)).toBe('Ann added Bob, Cat, Dan and 117 others');
  });
});

async function team(t: TestServer) {
  const org = await makeOrg(t.ctx, { plan: 'paid' });
  const ann = await makeUser(t, { org, displayName: 'Ann Lee' });
  const bob = await makeUser(t, { org, displayName: 'Bob Ray' });
  const cat = await makeUser(t, { org, displayName: 'Cat Poe' });
  const dan = await makeUser(t, { org, displayName: 'Dan Oak' });
  const group = await ann.api.call(api.conversations.create, { body: { title: 'Launch', memberIds: [bob.user.id] } });
  return { ann, bob, cat, dan, group };
}

async function history(user: TestUser, id: string): Promise<Message[]> {
  return (await user.api.call(api.messages.list, { params: { id }, query: {} })).items;
}

describeEachDb('group notes in the timeline', (t) => {
  it('creating a group writes its first message: who made it, its title and who is in it, unread for all but its author', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org, displayName: 'Ann Lee' });
    const bob = await makeUser(t(), { org, displayName: 'Bob Ray' });
    const cat = await makeUser(t(), { org, displayName: 'Cat Poe' });
    const rec = recordEvents(t());
    const group = await ann.api.call(api.conversations.create, { body: { title: 'Launch', memberIds: [bob.user.id, cat.user.id] } });
    rec.stop();
    // The creator's answer already has it, read.
    expect(group).toMatchObject({ lastSeq: 1, unreadCount: 0, lastMessage: { seq: 1, body: 'Ann Lee created the group “Launch” with Bob Ray and Cat Poe' } });
    const items = await history(bob, group.id);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ seq: 1, senderId: ann.user.id, system: { action: 'created', actorId: ann.user.id, title: 'Launch', userIds: [bob.user.id, cat.user.id] } });
    for (const u of [ann, bob, cat]) {
      const types = rec.to(u.user.id).map((e) => e.type);
      // The chat is announced before its first message, so no client gets a message of a chat it does not know.
      expect(types.indexOf('conversation.created')).toBeGreaterThanOrEqual(0);
      expect(types.indexOf('message.created')).toBeGreaterThan(types.indexOf('conversation.created'));
    }
    const listed = (await bob.api.call(api.conversations.list)).items.find((c) => c.id === group.id);
    expect(listed).toMatchObject({ unreadCount: 1, lastMessage: { id: items[0]!.id } });
  });

  it('adding people writes a note every member sees, newcomers included, unread for all but its author', async () => {
    const { ann, bob, cat, dan, group } = await team(t());
    await bob.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: 'hi' } });
    const rec = recordEvents(t());
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id, dan.user.id] } });
    rec.stop();
    const items = await history(cat, group.id);
    expect(items.map((m) => m.seq)).toEqual([1, 2, 3]);
    const note = items[2]!;
    expect(note).toMatchObject({ senderId: ann.user.id, body: 'Ann Lee added Cat Poe and Dan Oak', system: { action: 'members_added', actorId: ann.user.id, userIds: [cat.user.id, dan.user.id] } });
    expect(items[1]!.system).toBeUndefined();
    for (const u of [ann, bob, cat, dan]) {
      expect(rec.to(u.user.id).some((e) => e.type === 'message.created' && e.message.id === note.id)).toBe(true);
    }
    // The newcomers start with the history read and the note unread; its author has read it.
    const unread = async (u: typeof ann) => (await u.api.call(api.conversations.get, { params: { id: group.id } })).unreadCount;
    expect([await unread(ann), await unread(bob), await unread(cat)]).toEqual([0, 1, 1]);
    // Adding someone already in the group changes nothing and writes nothing.
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id] } });
    expect((await history(ann, group.id)).length).toBe(3);
  });

  it('a note about many people keeps the first 50 ids and their number, and names three', async () => {
    const { ann, group } = await team(t());
    const many = await Promise.all(Array.from({ length: 55 }, (_, i) => makeUser(t(), { org: ann.org, displayName: `Person ${String(i).padStart(2, '0')}` })));
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: many.map((u) => u.user.id) } });
    const note = (await history(ann, group.id)).at(-1)!;
    expect(note.system).toMatchObject({ action: 'members_added', userCount: 55 });
    expect(note.system?.userIds).toEqual(many.slice(0, 50).map((u) => u.user.id));
    expect(note.body).toBe('Ann Lee added Person 00, Person 01, Person 02 and 52 others');
  });

  it('a removal is noted for those who stay, not for the person removed; leaving is noted too', async () => {
    const { ann, bob, cat, group } = await team(t());
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id] } });
    const rec = recordEvents(t());
    await ann.api.call(api.conversations.removeMember, { params: { id: group.id, userId: bob.user.id } });
    rec.stop();
    const removed = (await history(ann, group.id)).at(-1)!;
    expect(removed).toMatchObject({ body: 'Ann Lee removed Bob Ray', system: { action: 'member_removed', actorId: ann.user.id, userIds: [bob.user.id] } });
    expect(rec.to(cat.user.id).some((e) => e.type === 'message.created' && e.message.id === removed.id)).toBe(true);
    expect(rec.to(bob.user.id).some((e) => e.type === 'message.created')).toBe(false);

    // Leaving: the note is in the leaver's name although they are no longer a member.
    await cat.api.call(api.conversations.leave, { params: { id: group.id } });
    const left = (await history(ann, group.id)).at(-1)!;
    expect(left).toMatchObject({ senderId: cat.user.id, body: 'Cat Poe left the group', system: { action: 'member_left', actorId: cat.user.id } });
    expect(left.seq).toBe(removed.seq + 1);
    // And the person who left can no longer write anything there.
    await expectApiError(cat.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: 'still?' } }), 404, 'not_found');

    // Those who are gone stay known by name (their messages and notes keep an author), apart.
    const seen = await ann.api.call(api.conversations.get, { params: { id: group.id } });
    expect(seen.participants.map((p) => p.userId)).toEqual([ann.user.id]);
    expect(seen.formerParticipants?.map((p) => [p.userId, p.displayName]).sort()).toEqual(
      [
        [bob.user.id, 'Bob Ray'],
        [cat.user.id, 'Cat Poe'],
      ].sort(),
    );
    const listed = (await ann.api.call(api.conversations.list)).items.find((c) => c.id === group.id);
    expect(listed?.formerParticipants).toHaveLength(2);
    // Back in the group: a participant again, no longer a former one.
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [bob.user.id] } });
    const again = await bob.api.call(api.conversations.get, { params: { id: group.id } });
    expect(again.participants.map((p) => p.userId).sort()).toEqual([ann.user.id, bob.user.id].sort());
    expect(again.formerParticipants?.map((p) => p.userId)).toEqual([cat.user.id]);
  });

  it('a new title is noted once, the same title not at all', async () => {
    const { ann, bob, group } = await team(t());
    await bob.api.call(api.conversations.update, { params: { id: group.id }, body: { title: 'Launch day' } });
    await bob.api.call(api.conversations.update, { params: { id: group.id }, body: { title: 'Launch day' } });
    const items = await history(ann, group.id);
    expect(items.map((m) => m.system?.action)).toEqual(['created', 'renamed']);
    expect(items[1]).toMatchObject({ senderId: bob.user.id, body: 'Bob Ray renamed the group to “Launch day”', system: { action: 'renamed', actorId: bob.user.id, title: 'Launch day' } });
    // The chat list shows the note as the last message.
    const listed = (await ann.api.call(api.conversations.list)).items.find((c) => c.id === group.id);
    expect(listed?.lastMessage?.id).toBe(items[1]!.id);
  });

  it('a change is stored with its note or not at all: one whose note fails is not made, and nobody is told of it', async () => {
    const { ann, bob, cat, group } = await team(t());
    // The database refuses notes (as a failing disk or a lost connection would refuse a write).
    const refuseNotes = async (on: boolean) => {
      const db = t().ctx.db;
      if (t().ctx.dialect === 'sqlite') {
        if (on) await sql`CREATE TRIGGER refuse_notes BEFORE INSERT ON messages WHEN NEW.system IS NOT NULL BEGIN SELECT RAISE(ABORT, 'notes refused'); END`.execute(db);
        else await sql`DROP TRIGGER refuse_notes`.execute(db);
        return;
      }
      if (on) {
        await sql`CREATE FUNCTION refuse_notes() RETURNS trigger AS $$ BEGIN IF NEW.system IS NOT NULL THEN RAISE EXCEPTION 'notes refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(db);
        await sql`CREATE TRIGGER refuse_notes BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_notes()`.execute(db);
      } else {
        await sql`DROP TRIGGER refuse_notes ON messages`.execute(db);
        await sql`DROP FUNCTION refuse_notes()`.execute(db);
      }
    };
    const rec = recordEvents(t());
    await refuseNotes(true);
    let failures: number[];
    try {
      const status = (p: Promise<unknown>) => p.then(() => 200, (e: { status: number }) => e.status);
      failures = [
        await status(ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id] } })),
        await status(ann.api.call(api.conversations.update, { params: { id: group.id }, body: { title: 'Renamed' } })),
        await status(ann.api.call(api.conversations.removeMember, { params: { id: group.id, userId: bob.user.id } })),
      ];
    } finally {
      await refuseNotes(false);
    }
    rec.stop();
    expect(failures.every((s) => s >= 500)).toBe(true);
    const now = await ann.api.call(api.conversations.get, { params: { id: group.id } });
    expect([now.title, now.participants.map((p) => p.userId).sort()]).toEqual(['Launch', [ann.user.id, bob.user.id].sort()]);
    expect(rec.to(cat.user.id)).toEqual([]);
    expect(rec.to(bob.user.id).filter((e) => e.type !== 'typing')).toEqual([]);
    // Once notes can be stored, the same changes are made, each with its note.
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id] } });
    await ann.api.call(api.conversations.update, { params: { id: group.id }, body: { title: 'Renamed' } });
    expect((await history(cat, group.id)).map((m) => m.system?.action)).toEqual(['created', 'members_added', 'renamed']);
  });

  it('a note cannot be edited or deleted, even by its author, and nobody can write one through the API', async () => {
    const { ann, cat, group } = await team(t());
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id] } });
    const note = (await history(ann, group.id)).at(-1)!;
    await expectApiError(ann.api.call(api.messages.edit, { params: { id: group.id, messageId: note.id }, body: { body: 'Ann added nobody' } }), 409, 'system_note');
    await expectApiError(ann.api.call(api.messages.remove, { params: { id: group.id, messageId: note.id } }), 409, 'system_note');
    expect((await history(ann, group.id)).at(-1)).toMatchObject({ id: note.id, body: note.body, deletedAt: null });

    const res = await fetch(`${t().url}/api/v1/conversations/${group.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: cid(), body: 'forged', system: { action: 'member_left', actorId: cat.user.id } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    // A clientId that looks like the server's is just a clientId.
    const m = await ann.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: 'system-123', body: 'plain' } });
    expect(m.system).toBeUndefined();
  });

  it('notes changes made at the same moment in the order they took effect: the timeline ends as the group is', async () => {
    for (let round = 0; round < 4; round++) {
      const { ann, bob, cat, dan, group } = await team(t());
      await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id, dan.user.id] } });
      const rename = (u: TestUser, title: string) => u.api.call(api.conversations.update, { params: { id: group.id }, body: { title } });
      const notes = async () => (await history(ann, group.id)).flatMap((m) => (m.system ? [m.system] : []));

      await Promise.all([rename(ann, `Ann ${round}`), rename(bob, `Bob ${round}`), rename(cat, `Cat ${round}`)]);
      const title = (await ann.api.call(api.conversations.get, { params: { id: group.id } })).title;
      const renames = (await notes()).filter((n) => n.action === 'renamed');
      expect(renames).toHaveLength(3);
      expect(renames[renames.length - 1]!.title).toBe(title);

      // Three renames to one title: one change, one note.
      await Promise.all([rename(ann, 'Same'), rename(bob, 'Same'), rename(cat, 'Same')]);
      expect((await notes()).filter((n) => n.action === 'renamed' && n.title === 'Same')).toHaveLength(1);

      // Dan removed and added back at once: whichever went last, the last note about him says it.
      await Promise.all([
        bob.api.call(api.conversations.removeMember, { params: { id: group.id, userId: dan.user.id } }),
        ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [dan.user.id] } }),
      ]);
      const danIn = (await ann.api.call(api.conversations.get, { params: { id: group.id } })).participants.some((p) => p.userId === dan.user.id);
      const aboutDan = (await notes()).filter((n) => n.userIds?.includes(dan.user.id));
      expect(aboutDan[aboutDan.length - 1]!.action).toBe(danIn ? 'members_added' : 'member_removed');
    }
  });

  it('an add that was a no-op when asked cannot bring back someone removed meanwhile who may no longer be added', async () => {
    const { ann, bob, cat, group } = await team(t());
    await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id] } });
    // Cat is deactivated: still listed in the group, no longer someone who may be added.
    await t().ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', cat.user.id).execute();
    const conv = (await getConversationRow(t().ctx.db, group.id))!;
    const [annRow, bobRow] = await Promise.all([getUserWithOrg(t().ctx.db, ann.user.id), getUserWithOrg(t().ctx.db, bob.user.id)]);
    // Ann's add reads the members (Cat among them) before it waits for the group; Bob's removal
    // of Cat takes the group first.
    const [removed, added] = await Promise.allSettled([doRemoveMember(t().ctx, bobRow!, conv, cat.user.id), doAddMembers(t().ctx, annRow!, conv, [cat.user.id])]);
    expect(removed.status).toBe('fulfilled');
    expect(added.status === 'rejected' ? (added.reason as { code: string }).code : 'made').toBe('invalid_member');
    const now = await ann.api.call(api.conversations.get, { params: { id: group.id } });
    expect(now.participants.map((p) => p.userId)).not.toContain(cat.user.id);
    expect((await history(ann, group.id)).at(-1)!.system).toMatchObject({ action: 'member_removed', userIds: [cat.user.id] });
  });

  it('tells a group its messages and notes in seq order while both are written at once', async () => {
    const { ann, bob, cat, group } = await team(t());
    const rec = recordEvents(t());
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => ann.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: `m${i}` } })),
      ...Array.from({ length: 6 }, (_, i) => bob.api.call(api.conversations.update, { params: { id: group.id }, body: { title: `Title ${i}` } })),
      bob.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [cat.user.id] } }),
    ]);
    rec.stop();
    const seqs = rec.to(bob.user.id).flatMap((e) => (e.type === 'message.created' && e.conversationId === group.id ? [e.message.seq] : []));
    expect(seqs.length).toBeGreaterThanOrEqual(47);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('tells a big group of a change with one event per read state, each member still told their own', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const people = await Promise.all(Array.from({ length: 120 }, (_, i) => makeUser(t(), { org, displayName: `Member ${i}` })));
    const [ann, bob, cat] = people as [TestUser, TestUser, TestUser];
    const group = await ann.api.call(api.conversations.create, { body: { title: 'Everyone', memberIds: people.slice(1).map((p) => p.user.id) } });
    await bob.api.call(api.messages.read, { params: { id: group.id }, body: { seq: 1 } });
    const rec = recordEvents(t());
    await cat.api.call(api.conversations.update, { params: { id: group.id }, body: { title: 'Everyone, renamed' } });
    rec.stop();
    const updates = rec.events.filter((e) => e.event.type === 'conversation.updated');
    // Three read states: Cat (who renamed: all read), Ann and Bob (the creation note read), the others.
    expect(updates).toHaveLength(3);
    expect(updates.flatMap((e) => e.userIds).sort()).toEqual(people.map((p) => p.user.id).sort());
    for (const u of [ann, bob, cat, people[77]!]) {
      const told = rec.to(u.user.id).find((e) => e.type === 'conversation.updated');
      const own = await u.api.call(api.conversations.get, { params: { id: group.id } });
      expect(told).toMatchObject({ conversation: { title: 'Everyone, renamed', unreadCount: own.unreadCount, lastReadSeq: own.lastReadSeq } });
      expect(told?.type === 'conversation.updated' && told.conversation.participants).toHaveLength(120);
    }
  });

  it('a change that was made is answered as made, even when its actor is removed just after it', async () => {
    for (let round = 0; round < 8; round++) {
      const { ann, bob, dan, group } = await team(t());
      const [added] = await Promise.allSettled([
        ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [dan.user.id] } }),
        bob.api.call(api.conversations.removeMember, { params: { id: group.id, userId: ann.user.id } }),
      ]);
      const danIn = (await bob.api.call(api.conversations.get, { params: { id: group.id } })).participants.some((p) => p.userId === dan.user.id);
      // Refused only if it was not made, and made only if answered so.
      expect([round, added.status === 'fulfilled', danIn]).toEqual([round, danIn, danIn]);
    }
  });
});
