import { useEffect } from 'react';
import { navigate, onLinkClick, type Loc } from '../../lib/router.js';
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
  // An unknown admin address (an old bookmark, a typo) goes to the first tab, so the page
  // shown is always the tab marked.
  const known = TABS.some((t) => t.to === loc.path);
  useEffect(() => {
    if (!known) navigate('/admin', { replace: true });
  }, [known]);
  const path = known ? loc.path : '/admin';
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
          <a key={t.to} href={t.to} className={path === t.to ? 'active' : ''} aria-current={path === t.to ? 'page' : undefined} onClick={(e) => onLinkClick(e, t.to)}>
            {t.label}
          </a>
        ))}
      </nav>
      {path === '/admin/users' ? <UsersAdmin orgId={orgId} /> : path === '/admin/audit' ? <AuditLog orgId={orgId} /> : <PolicyForm orgId={orgId} />}
    </section>
  );
}
