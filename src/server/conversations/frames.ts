import type { z } from 'zod';
import { api } from '../../shared/api/index.js';
import type { ServerEvent } from '../../shared/events.js';
import type { AuthInfo } from '../accounts/sessions.js';
import type { AppContext } from '../context.js';
import { validate } from '../http/router.js';
import { checkSendTarget } from './access.js';
import { getUserWithOrg } from '../accounts/store.js';
import { decideSend } from '../external/rules.js';
import { doSendMessage, type SendTurn } from './messages.js';
import { getConversationRow } from './store.js';

/**
 * `message.send` over the WebSocket: the thin handler of the send route for a socket that is
 * already open (authenticated by its session; validate → authorize → service → present). It is
 * the same send — rules, limits, idempotency on clientId — without an HTTP request per message,
 * which is most of what a message costs a node. The answer goes back on the socket that asked;
 * every other socket of the members gets the usual `message.created`.
 */
/**
 * Whether `userId` may be shown typing in a conversation: exactly when they could send it a text
 * message now. A chat that policy made read-only, or a request they may not write in, shows no
 * typing to the other side.
 */
export async function mayType(ctx: AppContext, conversationId: string, userId: string): Promise<boolean> {
  const [user, conv] = await Promise.all([getUserWithOrg(ctx.db, userId), getConversationRow(ctx.db, conversationId)]);
  if (!user || !conv) return false;
  return (await decideSend(ctx, conv, user)).allowed;
}

export async function handleSendFrame(ctx: AppContext, auth: AuthInfo, connectionId: string, frame: Record<string, unknown>, turn?: SendTurn): Promise<ServerEvent> {
  const f = validate(api.messages.sendFrame, frame, 'frame') as z.output<typeof api.messages.sendFrame>;
  const { conv, other } = await checkSendTarget(ctx, f.conversationId, auth.user.id);
  const r = await doSendMessage(ctx, auth.user, conv, { clientId: f.clientId, body: f.body, fileIds: f.fileIds }, other, { origin: connectionId, turn });
  return { type: 'message.sent', conversationId: conv.id, clientId: f.clientId, created: r.created, message: r.message };
}
