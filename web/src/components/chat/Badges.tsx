import type { Badge } from '../../lib/conversations.js';

export function Badges({ badges }: { badges: Badge[] }) {
  if (!badges.length) return null;
  return (
    <span className="badges">
      {badges.map((b) => (
        <span key={b.kind} className={`badge badge-${b.kind}`} title={b.label}>
          {b.label}
        </span>
      ))}
    </span>
  );
}
