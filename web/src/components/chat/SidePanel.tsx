import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Icon } from '../Icon.js';

/**
 * A panel beside the chat (members, files). Not modal: the chat stays usable next to it on wide
 * screens; on a phone it covers the chat. Focus moves into it when it opens, Escape closes it,
 * and focus goes back to whatever opened it.
 */
export function SidePanel({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    heading.current?.focus();
    return () => {
      // Only hand focus back when it was still inside the panel (not moved elsewhere on purpose).
      if (before && document.contains(before) && (!document.activeElement || document.activeElement === document.body)) before.focus();
    };
  }, []);
  return (
    <aside
      className="side-panel"
      aria-labelledby={headingId}
      data-testid={testId}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="side-head">
        <h2 id={headingId} ref={heading} tabIndex={-1}>
          {title}
        </h2>
        <button type="button" className="icon-btn" onClick={onClose} aria-label={`Close ${title.toLowerCase()}`}>
          <Icon name="close" size={18} />
        </button>
      </div>
      <div className="side-body">{children}</div>
    </aside>
  );
}
