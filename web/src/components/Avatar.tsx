import { hueOf, initials } from '../lib/format.js';

export function Avatar({ id, name, size = 36 }: { id: string; name: string; size?: number }) {
  return (
    <span className="avatar" aria-hidden="true" style={{ width: size, height: size, fontSize: size * 0.4, background: `hsl(${hueOf(id)} 55% 45%)` }}>
      {initials(name)}
    </span>
  );
}
