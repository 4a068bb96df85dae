import { useState, type FormEvent } from 'react';
import type { Conversation } from '../../../../src/shared/api/shapes.js';
import { useChats } from '../../chat-context.js';
import { api, client } from '../../lib/client.js';
import { canCreateGroup, GROUP_TITLE_MAX, titleError, type Pick } from '../../lib/groups.js';
import { errorText } from '../../lib/reasons.js';
import { chatPath, navigate } from '../../lib/router.js';
import { useSession } from '../../session.js';
import { ErrorNote, Field } from '../Field.js';
import { Modal } from '../Modal.js';
import { ColleaguePicker } from './ColleaguePicker.js';

/** New group: a title and at least one colleague; the group opens once made. */
export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const { me } = useSession();
  const { store } = useChats();
  const [title, setTitle] = useState('');
  const [picked, setPicked] = useState<Pick[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tried, setTried] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!canCreateGroup(title, picked)) return;
    setBusy(true);
    setError(null);
    try {
      const conv = await client.call(api.conversations.create, { body: { title: title.trim(), memberIds: picked.map((p) => p.userId) } });
      store.upsertConversation(conv);
      onClose();
      navigate(chatPath(conv.id));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  const problem = tried ? (titleError(title) ?? (picked.length === 0 ? 'Add at least one colleague.' : null)) : null;
  return (
    <Modal title="New group" onClose={onClose} className="group-dialog">
      <form onSubmit={(e) => void submit(e)} className="stack" noValidate>
        <Field label="Group title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={GROUP_TITLE_MAX} placeholder="e.g. Launch team" autoFocus autoComplete="off" />
        <ColleaguePicker meId={me.user.id} picked={picked} onChange={setPicked} />
        <ErrorNote message={error ?? problem} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Creating…' : picked.length ? `Create group of ${picked.length + 1}` : 'Create group'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function RenameDialog({ conv, onClose }: { conv: Conversation; onClose: () => void }) {
  const { store } = useChats();
  const [title, setTitle] = useState(conv.title ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = titleError(title);
    if (problem) return setError(problem);
    setBusy(true);
    try {
      store.upsertConversation(await client.call(api.conversations.update, { params: { id: conv.id }, body: { title: title.trim() } }));
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Modal title="Rename group" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} className="stack" noValidate>
        <Field label="Group title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={GROUP_TITLE_MAX} autoFocus autoComplete="off" />
        <ErrorNote message={error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function AddMembersDialog({ conv, onClose }: { conv: Conversation; onClose: () => void }) {
  const { me } = useSession();
  const { store } = useChats();
  const [picked, setPicked] = useState<Pick[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [current] = useState(() => new Set(conv.participants.map((p) => p.userId).filter((x): x is string => !!x)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!picked.length) return setError('Choose at least one colleague.');
    setBusy(true);
    try {
      store.upsertConversation(await client.call(api.conversations.addMembers, { params: { id: conv.id }, body: { userIds: picked.map((p) => p.userId) } }));
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Modal title="Add people" onClose={onClose} className="group-dialog">
      <form onSubmit={(e) => void submit(e)} className="stack" noValidate>
        <p className="muted small">They will see the whole history of the group.</p>
        <ColleaguePicker meId={me.user.id} picked={picked} onChange={setPicked} exclude={current} />
        <ErrorNote message={error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy || picked.length === 0}>
            {picked.length > 1 ? `Add ${picked.length} people` : 'Add'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
