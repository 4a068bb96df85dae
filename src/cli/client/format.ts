import type { Conversation, Message } from '../../shared/api/shapes.js';
import type { ServerEvent } from '../../shared/events.js';
import { terminalSafe } from '../terminal.js';

/**
 * One line, whatever the text holds: newlines and control characters would break the layout,
 * and C1 controls or direction marks would drive the terminal (`terminalSafe`).
 */
export function oneLine(s: string, max = 200): string {
  const flat = terminalSafe(s).trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Who a chat is with, from the viewer's side. */
export function chatName(c: Conversation, meId: string): string {
  if (c.title) return c.title;
  const others = c.participants.filter((p) => p.userId !== meId);
  const shown = (others.length ? others : c.participants).map((p) => {
    const tags = [p.external ? `external, ${p.orgName ?? 'other org'}` : '', p.deleted ? 'deleted' : '', p.pending ? 'invited' : ''].filter(Boolean);
    return `${p.displayName} <${p.email}>${tags.length ? ` (${tags.join(', ')})` : ''}`;
  });
  return shown.join(', ');
}

export function conversationLine(c: Conversation, meId: string): string {
  const unread = c.unreadCount > 0 ? `  [${c.unreadCount} unread]` : '';
  const state = c.state === 'live' ? '' : `  (${c.state})`;
  const last = c.lastMessage ? `  — ${oneLine(c.lastMessage.deletedAt ? '(deleted)' : c.lastMessage.body, 60)}` : '';
  return `${c.id}  ${c.kind === 'group' ? 'group ' : 'direct'}  ${oneLine(chatName(c, meId), 120)}${state}${unread}${last}`;
}

/** Names of the people met so far, for event lines. */
export class People {
  private names = new Map<string, string>();
  learn(c: Conversation): void {
    // People who left a group keep their name on what they wrote.
    for (const p of [...(c.formerParticipants ?? []), ...c.participants]) if (p.userId) this.names.set(p.userId, p.displayName);
  }
  name(userId: string): string {
    return oneLine(this.names.get(userId) ?? userId, 120);
  }
}

function time(iso: string): string {
  return iso.slice(11, 19);
}

function messageText(m: Message): string {
  // Each file with its id: `parley download <id>` is how to get it.
  const files = m.files.length ? ` [${m.files.map((f) => `${oneLine(f.name, 80)} (${f.id})`).join(', ')}]` : '';
  return `${oneLine(m.body)}${files}`;
}

/** One line per event for `parley watch`, or null for events not worth a line. */
export function eventLine(e: ServerEvent, people: People): string | null {
  switch (e.type) {
    case 'hello':
    case 'pong':
      return null;
    case 'message.created':
      // A note about the group says who did what itself ("Ann added Bob").
      if (e.message.system) return `${time(e.message.createdAt)} ${e.conversationId} #${e.message.seq} · ${oneLine(e.message.body)}`;
      return `${time(e.message.createdAt)} ${e.conversationId} #${e.message.seq} ${people.name(e.message.senderId)}: ${messageText(e.message)}`;
    case 'message.updated':
      return `${time(e.message.editedAt ?? e.message.createdAt)} ${e.conversationId} #${e.message.seq} edited by ${people.name(e.message.senderId)}: ${messageText(e.message)}`;
    case 'message.deleted':
      return `${e.conversationId} #${e.message.seq} deleted by ${people.name(e.message.senderId)}`;
    case 'conversation.created':
      people.learn(e.conversation);
      return `${e.conversation.id} new ${e.conversation.kind} chat (${e.conversation.state})`;
    case 'conversation.updated':
      people.learn(e.conversation);
      return `${e.conversation.id} chat is now ${e.conversation.state}${e.conversation.title ? `: ${oneLine(e.conversation.title)}` : ''}`;
    case 'read':
      return `${e.conversationId} ${people.name(e.userId)} read up to #${e.seq}`;
    case 'typing':
      return `${e.conversationId} ${people.name(e.userId)} is typing…`;
    case 'error':
      return `server: ${oneLine(`${e.code}: ${e.message}`)}`;
    default:
      return `${(e as { type: string }).type} ${oneLine(JSON.stringify(e))}`;
  }
}
