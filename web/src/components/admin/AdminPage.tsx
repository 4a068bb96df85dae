import { onLinkClick, type Loc } from '../../lib/router.js';
import { useSession } from '../../session.js';
import { AuditLog } from './AuditLog.js';
import { PolicyForm } from './PolicyForm.js';
import { UsersAdmin } from './UsersAdmin.js';

const TABS = [
  { to: '/admin', label: 'External messaging' },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/audit', label: 'Audit log' },
];

export function AdminPage({ loc }: { loc: Loc }) {
  const { me } = useSession();
  const orgId = me.org.id;
  return (
    <section className="admin page-pad" aria-labelledby="admin-title">
      <div className="page-head">
        <div>
          <h1 id="admin-title">{me.org.name}</h1>
          <p className="muted">
            Organization settings · plan {me.org.plan.replace('_', ' ')}
            {me.org.domains.length ? ` · ${me.org.domains.join(', ')}` : ''}
          </p>
        </div>
      </div>
      <nav className="tabs" aria-label="Admin sections">
        {TABS.map((t) => (
          <a key={t.to} href={t.to} className={loc.path === t.to ? 'active' : ''} aria-current={loc.path === t.to ? 'page' : undefined} onClick={(e) => onLinkClick(e, t.to)}>
            {t.label}
          </a>
        ))}
      </nav>
      {loc.path === '/admin/users' ? <UsersAdmin orgId={orgId} /> : loc.path === '/admin/audit' ? <AuditLog orgId={orgId} /> : <PolicyForm orgId={orgId} />}
    </section>
  );
}
