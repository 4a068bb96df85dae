import { useState } from 'react';
import type { Conversation } from '../../../../src/shared/api/shapes.js';
import { blockedByMe, declinedByMe, isIncomingRequest, otherParticipant, participantName, writeBlock } from '../../lib/conversations.js';
import { reasonText } from '../../lib/reasons.js';
import { ConfirmDialog } from '../Modal.js';

interface Props {
  conv: Conversation;
  meId: string;
  onAnswer(answer: Answer): Promise<void>;
}

export type Answer = 'accept' | 'decline' | 'block' | 'unblock';

/** What stands between the reader and a normal chat: a request to answer, or why it is read-only. */
export function ChatBanners({ conv, meId, onAnswer }: Props) {
  const [busy, setBusy] = useState(false);
  const [confirmBlock, setConfirmBlock] = useState(false);
  const other = otherParticipant(conv, meId);
  const name = other ? participantName(other) : 'This person';

  const answer = async (a: Answer) => {
    setBusy(true);
    try {
      await onAnswer(a);
    } finally {
      setBusy(false);
    }
  };

  if (isIncomingRequest(conv, meId)) {
    return (
      <div className="banner banner-request" role="region" aria-label="Message request">
        <div>
          <strong>{name}</strong>
          {other?.orgName ? ` from ${other.orgName}` : ''} wants to message you.
          <div className="muted small">They will not know you have read their messages until you accept.</div>
        </div>
        <div className="row">
          <button className="btn primary" disabled={busy} onClick={() => void answer('accept')}>
            Accept
          </button>
          <button className="btn" disabled={busy} onClick={() => void answer('decline')}>
            Decline
          </button>
          <button className="btn danger" disabled={busy} onClick={() => setConfirmBlock(true)}>
            Block
          </button>
        </div>
        {confirmBlock && (
          <ConfirmDialog
            title={`Block ${name}?`}
            confirmLabel="Block"
            danger
            onClose={() => setConfirmBlock(false)}
            onConfirm={() => {
              setConfirmBlock(false);
              void answer('block');
            }}
          >
            <p>They will not be able to message you again.</p>
          </ConfirmDialog>
        )}
      </div>
    );
  }
  if (conv.state === 'request') {
    return (
      <div className="banner banner-info" role="status">
        Waiting for {name} to accept your message request.
      </div>
    );
  }
  if (conv.state === 'pending') {
    return (
      <div className="banner banner-info" role="status">
        {name} is not on Parley yet. Your messages will be delivered when they join.
      </div>
    );
  }
  // What I blocked or declined I can take back: unblocking makes it a request again, and
  // accepting a declined request opens the chat.
  if (blockedByMe(conv, meId)) {
    return (
      <div className="banner banner-readonly" role="region" aria-label="Blocked" data-testid="blocked-banner">
        <div>
          <strong>You blocked {name}.</strong> They cannot message you or start a new chat with you.
        </div>
        <button className="btn" disabled={busy} onClick={() => void answer('unblock')}>
          Unblock
        </button>
      </div>
    );
  }
  if (declinedByMe(conv, meId)) {
    return (
      <div className="banner banner-readonly" role="region" aria-label="Declined request" data-testid="declined-banner">
        <div>
          <strong>You declined {name}’s message request.</strong> They cannot write here unless you accept.
        </div>
        <button className="btn primary" disabled={busy} onClick={() => void answer('accept')}>
          Accept
        </button>
      </div>
    );
  }
  const block = writeBlock(conv, meId);
  if (block) {
    return (
      <div className="banner banner-readonly" role="status" data-testid="readonly-banner">
        <div>
          <strong>Read-only.</strong> {block.message || reasonText(block.reason, null)}
        </div>
      </div>
    );
  }
  return null;
}
