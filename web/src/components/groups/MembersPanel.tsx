import { useState } from 'react';
import type { Conversation, Participant } from '../../../../src/shared/api/shapes.js';
import { useChats } from '../../chat-context.js';
import { chatApi } from '../../lib/chat-api.js';
import { api, client } from '../../lib/client.js';
import { memberCountText, participantBadges, participantName } from '../../lib/conversations.js';
import { removable, sortMembers } from '../../lib/groups.js';
import { errorText } from '../../lib/reasons.js';
import { navigate } from '../../lib/router.js';
import { useSession } from '../../session.js';
import { Avatar } from '../Avatar.js';
import { ErrorNote } from '../Field.js';
import { Icon } from '../Icon.js';
import { ConfirmDialog } from '../Modal.js';
import { Badges } from '../chat/Badges.js';
import { SidePanel } from '../chat/SidePanel.js';
import { AddMembersDialog, RenameDialog } from './GroupDialogs.js';

type Dialog = { kind: 'rename' } | { kind: 'add' } | { kind: 'remove'; person: Participant } | { kind: 'leave' } | null;

/** A group's members: who is in it, and renaming, adding, removing and leaving. */
export function MembersPanel({ conv, onClose }: { conv: Conversation; onClose: () => void }) {
  const { me } = useSession();
  const { store } = useChats();
  const meId = me.user.id;
  const [dialog, setDialog] = useState<Dialog>(null);
  const [error, setError] = useState<string | null>(null);
  const members = sortMembers(conv, meId);

  const remove = async (p: Participant) => {
    setError(null);
    try {
      await client.call(api.conversations.removeMember, { params: { id: conv.id, userId: p.userId! } });
      // The event follows; fetching now keeps the list right even if it is slow.
      store.upsertConversation(await chatApi.getConversation(conv.id));
    } catch (err) {
      setError(errorText(err));
    }
  };

  const leave = async () => {
    setError(null);
    try {
      await client.call(api.conversations.leave, { params: { id: conv.id } });
      store.forget(conv.id, 'left');
      navigate('/chat');
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <SidePanel title="Members" onClose={onClose} testId="members-panel">
      <p className="muted small">{memberCountText(conv)}</p>
      <div className="panel-actions">
        <button type="button" className="btn small" onClick={() => setDialog({ kind: 'add' })}>
          <Icon name="userPlus" size={16} /> Add people
        </button>
        <button type="button" className="btn small" onClick={() => setDialog({ kind: 'rename' })}>
          <Icon name="edit" size={16} /> Rename
        </button>
      </div>
      <ErrorNote message={error} />
      <ul className="member-list" aria-label="Members">
        {members.map((p) => {
          const name = participantName(p);
          const mine = p.userId === meId;
          return (
            <li key={p.userId} className="member" data-testid="member">
              <Avatar id={p.userId!} name={name} size={32} />
              <span className="member-main">
                <span className="member-name">
                  {name}
                  {mine && <span className="badge">You</span>}
                </span>
                <small className="muted">{p.email}</small>
                <Badges badges={participantBadges(p)} />
              </span>
              {removable(p, meId) && (
                <button type="button" className="icon-btn small" aria-label={`Remove ${name}`} title={`Remove ${name}`} onClick={() => setDialog({ kind: 'remove', person: p })}>
                  <Icon name="close" size={15} />
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <button type="button" className="btn danger leave-btn" onClick={() => setDialog({ kind: 'leave' })}>
        <Icon name="leave" size={16} /> Leave group
      </button>

      {dialog?.kind === 'rename' && <RenameDialog conv={conv} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'add' && <AddMembersDialog conv={conv} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'remove' && (
        <ConfirmDialog
          title={`Remove ${participantName(dialog.person)}?`}
          confirmLabel="Remove"
          danger
          onClose={() => setDialog(null)}
          onConfirm={() => {
            const p = dialog.person;
            setDialog(null);
            void remove(p);
          }}
        >
          <p>They will no longer see this group or its messages. Someone can add them again later.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'leave' && (
        <ConfirmDialog
          title="Leave this group?"
          confirmLabel="Leave"
          danger
          onClose={() => setDialog(null)}
          onConfirm={() => {
            setDialog(null);
            void leave();
          }}
        >
          <p>You will no longer see this group or its messages, unless someone adds you again.</p>
        </ConfirmDialog>
      )}
    </SidePanel>
  );
}
