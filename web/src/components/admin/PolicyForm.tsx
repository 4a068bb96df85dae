import { useEffect, useState, type FormEvent } from 'react';
import type { OrgSettingsPatch } from '../../../../src/shared/api/external.js';
import type { OrgPolicy } from '../../../../src/shared/api/shapes.js';
import { api, client } from '../../lib/client.js';
import { errorText } from '../../lib/reasons.js';
import { useSession } from '../../session.js';
import { ErrorNote } from '../Field.js';

/** "a.example, b.example" ↔ ["a.example","b.example"], lower-cased, blanks dropped. */
export function parseDomains(s: string): string[] {
  return [...new Set(s.split(/[\s,;]+/).map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter(Boolean))];
}

const MIB = 1024 * 1024;

/** The form's names for the settings API's fields, for error messages. */
const POLICY_LABELS = {
  'body.maxFileBytes': 'Largest file (MiB)',
  'body.allowDomains': 'Allowed domains',
  'body.blockDomains': 'Blocked domains',
  'body.allow': 'Who may reach you',
};

/**
 * The "Largest file (MiB)" field as typed, checked when the form is sent (while typing, an empty
 * or half-typed field is left as it is): a whole number of MiB from 1 to the deployment's
 * limit, when the server told it.
 */
export function parseMaxFileMiB(text: string, deploymentMaxBytes?: number): { ok: true; bytes: number } | { ok: false; message: string } {
  const t = text.trim();
  const maxMiB = deploymentMaxBytes ? Math.floor(deploymentMaxBytes / MIB) : undefined;
  const range = maxMiB ? `a whole number from 1 to ${maxMiB}` : 'a whole number, at least 1';
  if (!/^\d+$/.test(t)) return { ok: false, message: `Largest file (MiB): enter ${range}.` };
  const n = Number(t);
  if (n < 1 || (maxMiB !== undefined && n > maxMiB)) {
    return { ok: false, message: maxMiB !== undefined && n > maxMiB ? `Largest file (MiB): at most ${maxMiB} MiB on this server.` : `Largest file (MiB): enter ${range}.` };
  }
  return { ok: true, bytes: n * MIB };
}

const mibText = (bytes: number) => String(Math.round(bytes / MIB));

/** Only what the admin changed, so untouched fields keep following the plan's defaults. */
export function policyChanges(before: OrgPolicy, after: OrgPolicy): OrgSettingsPatch {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof OrgPolicy)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) patch[key] = after[key];
  }
  return patch as OrgSettingsPatch;
}

export function PolicyForm({ orgId }: { orgId: string }) {
  const { me, refresh } = useSession();
  const [policy, setPolicy] = useState<OrgPolicy | null>(null);
  const [loaded, setLoaded] = useState<OrgPolicy | null>(null);
  const [allowText, setAllowText] = useState('');
  const [blockText, setBlockText] = useState('');
  const [maxText, setMaxText] = useState('');
  const [deploymentMax, setDeploymentMax] = useState<number | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const apply = (p: OrgPolicy) => {
    setPolicy(p);
    setLoaded(p);
    setAllowText(p.allowDomains.join(', '));
    setBlockText(p.blockDomains.join(', '));
    setMaxText(mibText(p.maxFileBytes));
  };

  useEffect(() => {
    client.call(api.external.getSettings, { params: { id: orgId } }).then(
      (res) => {
        apply(res.policy);
        setDeploymentMax(res.deploymentMaxFileBytes);
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [orgId]);

  if (!policy || !loaded) return error ? <ErrorNote message={error} /> : <p className="muted">Loading…</p>;

  const set = (p: Partial<OrgPolicy>) => {
    setSaved(false);
    setPolicy({ ...policy, ...p });
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    // An untouched field keeps the exact byte count (it may not be a whole number of MiB).
    let maxFileBytes = policy.maxFileBytes;
    if (maxText.trim() !== mibText(loaded.maxFileBytes)) {
      const parsed = parseMaxFileMiB(maxText, deploymentMax);
      if (!parsed.ok) {
        setError(parsed.message);
        document.getElementById('maxFileMiB')?.focus();
        return;
      }
      maxFileBytes = parsed.bytes;
    }
    setBusy(true);
    try {
      const body = policyChanges(loaded, { ...policy, maxFileBytes, allowDomains: parseDomains(allowText), blockDomains: parseDomains(blockText) });
      const res = await client.call(api.external.patchSettings, { params: { id: orgId }, body });
      apply(res.policy);
      setDeploymentMax(res.deploymentMaxFileBytes);
      setSaved(true);
      // Capabilities (shown elsewhere) follow the policy.
      void refresh();
    } catch (err) {
      setError(errorText(err, POLICY_LABELS));
    } finally {
      setBusy(false);
    }
  };

  const cap = me.capabilities.externalMessaging;
  // noValidate: save() checks the fields and says what is wrong in the page, naming the field.
  return (
    <form className="policy stack" noValidate onSubmit={(e) => void save(e)}>
      {!cap.allowed && cap.message && <p className="banner banner-info">{cap.message}</p>}
      <fieldset>
        <legend>Messaging people in other organizations</legend>
        <label className="check">
          <input type="checkbox" name="externalMessaging" checked={policy.externalMessaging} onChange={(e) => set({ externalMessaging: e.target.checked })} />
          <span>
            <strong>External messaging</strong>
            <small>People of {me.org.name} can start and continue chats with people of other organizations. Switching it off keeps existing chats readable but read-only.{me.org.plan === 'paid' ? ' For a paid organization, switching it on opts in to the beta.' : ''}</small>
          </span>
        </label>
        <label className="check">
          <input type="checkbox" name="requireAcceptance" checked={policy.requireAcceptance} onChange={(e) => set({ requireAcceptance: e.target.checked })} />
          <span>
            <strong>Ask before accepting new outside chats</strong>
            <small>A first message from someone outside arrives as a request your people accept, decline or block.</small>
          </span>
        </label>
      </fieldset>
      <fieldset>
        <legend>Who may reach you</legend>
        <label className="radio">
          <input type="radio" name="allow" value="anyone" checked={policy.allow === 'anyone'} onChange={() => set({ allow: 'anyone' })} />
          <span>
            <strong>Any organization</strong>
            <small>Except the blocked domains below.</small>
          </span>
        </label>
        <label className="radio">
          <input type="radio" name="allow" value="listed" checked={policy.allow === 'listed'} onChange={() => set({ allow: 'listed' })} />
          <span>
            <strong>Only listed domains</strong>
            <small>Only organizations with one of the allowed domains.</small>
          </span>
        </label>
        <div className="field">
          <label htmlFor="allowDomains">Allowed domains</label>
          <input id="allowDomains" value={allowText} onChange={(e) => { setSaved(false); setAllowText(e.target.value); }} placeholder="partner.com, supplier.example" disabled={policy.allow !== 'listed'} />
          <small className="hint">Separate with commas. Used when “Only listed domains” is chosen.</small>
        </div>
        <div className="field">
          <label htmlFor="blockDomains">Blocked domains</label>
          <input id="blockDomains" value={blockText} onChange={(e) => { setSaved(false); setBlockText(e.target.value); }} placeholder="spam.example" />
          <small className="hint">Always refused, whatever else is set.</small>
        </div>
      </fieldset>
      <fieldset>
        <legend>Files</legend>
        <label className="check">
          <input type="checkbox" name="externalFiles" checked={policy.externalFiles} onChange={(e) => set({ externalFiles: e.target.checked })} />
          <span>
            <strong>Share files with other organizations</strong>
            <small>Both organizations must allow it.</small>
          </span>
        </label>
        <div className="field">
          <label htmlFor="maxFileMiB">Largest file (MiB)</label>
          <input
            id="maxFileMiB"
            type="number"
            inputMode="numeric"
            min={1}
            max={deploymentMax ? Math.floor(deploymentMax / MIB) : undefined}
            step={1}
            value={maxText}
            aria-describedby="maxFileMiB-hint"
            onChange={(e) => {
              setSaved(false);
              setMaxText(e.target.value);
            }}
          />
          <small className="hint" id="maxFileMiB-hint">
            Across organizations the smaller of the two limits applies.{deploymentMax ? ` At most ${Math.floor(deploymentMax / MIB)} MiB on this server.` : ''}
          </small>
        </div>
      </fieldset>
      <ErrorNote message={error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        {saved && (
          <span className="ok-text" role="status">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}
