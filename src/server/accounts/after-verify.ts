import type { AppContext } from '../context.js';
import { doBindPendingChats } from '../external/pending.js';

/**
 * Runs once a person's email address has just become verified (sign-up verification, or the
 * first password set through an invite or reset link), after that transaction committed.
 *
 * The conversations domain binds the pending chats addressed to this email here (design.md,
 * identity rule 2): they become live chats with the new user. It must be safe to call more
 * than once for one user, and a failure here must not undo the verification that already
 * committed, so callers log errors from it instead of failing the request.
 */
export async function afterUserVerified(ctx: AppContext, userId: string): Promise<void> {
  await doBindPendingChats(ctx, userId);
}
