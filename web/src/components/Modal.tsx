import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Icon } from './Icon.js';

/** A modal dialog: focus moves in, Escape and the backdrop close it, focus returns after. */
export function Modal({ title, onClose, children, className }: { title: string; onClose: () => void; children: ReactNode; className?: string }) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  // The opener is read while the dialog first renders: by the time effects run, a field with
  // autoFocus has already taken focus, and focus would be given back to that field (gone with
  // the dialog) instead of the button that opened it.
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null));
  useEffect(() => {
    const root = ref.current;
    // A field that focused itself (autoFocus) keeps it; otherwise the first field, then the
    // first button of the body, and the Close button only when there is nothing else.
    if (root && !root.contains(document.activeElement)) {
      const first =
        root.querySelector<HTMLElement>('[autofocus], input:not([disabled]), select, textarea') ??
        root.querySelector<HTMLElement>('.modal-head ~ * button:not([disabled]), .modal-head ~ button:not([disabled])') ??
        root.querySelector<HTMLElement>('button');
      first?.focus();
    }
    return () => {
      // An opener that went away with what the dialog did is left to the page that knows
      // where focus belongs now.
      if (opener?.isConnected) opener.focus();
    };
  }, [opener]);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
    }
    if (e.key === 'Tab' && ref.current) {
      // Keep Tab inside the dialog.
      const items = [...ref.current.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex="0"]')];
      if (!items.length) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} className={`modal ${className ?? ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={onKeyDown}>
        <div className="modal-head">
          <h2 id={titleId}>{title}</h2>
          <button className="icon-btn" onClick={onClose} aria-label="Close">
            <Icon name="close" size={18} />
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

export function ConfirmDialog({ title, children, confirmLabel, danger, onConfirm, onClose }: { title: string; children: ReactNode; confirmLabel: string; danger?: boolean; onConfirm: () => void; onClose: () => void }) {
  return (
    <Modal title={title} onClose={onClose}>
      <div className="modal-body">{children}</div>
      <div className="modal-actions">
        <button className="btn" onClick={onClose}>
          Cancel
        </button>
        <button className={`btn ${danger ? 'danger' : 'primary'}`} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
