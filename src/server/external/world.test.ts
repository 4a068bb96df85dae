import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { OrgPolicy, Plan, Stage } from '../../shared/api/shapes.js';
import { ApiError } from '../../shared/client.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, uniq, type TestUser } from '../testing/factories.js';

/**
 * The world of design.md "Who may talk to whom": one org of every kind, and the full matrix of
 * who may message whom under each stage. Every cell is asserted twice, through the directory's
 * `canMessage` and through "start communicating" itself, against a hand-written expectation.
 *
 * Cells: L live chat, R message request, and the refusal reasons.
 */

const ORGS = ['PAID_IN', 'PAID_OUT', 'TRIAL', 'CP', 'B1', 'B2', 'LIST', 'ACCEPT', 'BLOCK'] as const;
type OrgKey = (typeof ORGS)[number];
type Cell = 'L' | 'R' | 'stage_off' | 'sender_org_not_eligible' | 'sender_org_disabled' | 'sender_org_disallows' | 'recipient_org_not_accepting';

const L = 'L';
const R = 'R';
const SD = 'sender_org_disabled';
const SNE = 'sender_org_not_eligible';
const SX = 'sender_org_disallows';
const RX = 'recipient_org_not_accepting';
const OFF = 'stage_off';

// Rows: sender's org; columns: recipient's org, in ORGS order.
//                 PAID_IN PAID_OUT TRIAL CP   B1   B2   LIST ACCEPT BLOCK
const GA: Record<OrgKey, Cell[]> = {
  PAID_IN: /*  */ [L, RX, L, L, L, L, RX, R, L],
  PAID_OUT: /* */ [SD, L, SD, SD, SD, SD, SD, SD, SD],
  TRIAL: /*    */ [L, RX, L, L, L, L, RX, R, L],
  CP: /*       */ [L, RX, L, L, L, L, L, R, L],
  B1: /*       */ [L, RX, L, L, L, L, L, R, L],
  B2: /*       */ [L, RX, L, L, L, L, RX, R, RX],
  LIST: /*     */ [SX, SX, SX, L, L, SX, L, SX, SX],
  ACCEPT: /*   */ [L, RX, L, L, L, L, RX, L, L],
  BLOCK: /*    */ [L, RX, L, L, L, SX, RX, R, L],
};

// The beta: trial orgs are not eligible (as senders they are told so; as recipients they are
// "not accepting"); everything else is as at ga.
const BETA: Record<OrgKey, Cell[]> = {
  PAID_IN: /*  */ [L, RX, RX, L, L, L, RX, R, L],
  PAID_OUT: /* */ [SD, L, SD, SD, SD, SD, SD, SD, SD],
  TRIAL: /*    */ [SNE, SNE, L, SNE, SNE, SNE, SNE, SNE, SNE],
  CP: /*       */ [L, RX, RX, L, L, L, L, R, L],
  B1: /*       */ [L, RX, RX, L, L, L, L, R, L],
  B2: /*       */ [L, RX, RX, L, L, L, RX, R, RX],
  LIST: /*     */ [SX, SX, SX, L, L, SX, L, SX, SX],
  ACCEPT: /*   */ [L, RX, RX, L, L, L, RX, L, L],
  BLOCK: /*    */ [L, RX, RX, L, L, SX, RX, R, L],
};

// Off: nothing crosses an org boundary; chats inside an org are untouched.
const OFF_TABLE: Record<OrgKey, Cell[]> = Object.fromEntries(ORGS.map((s, i) => [s, ORGS.map((_, j) => (i === j ? L : OFF))])) as Record<OrgKey, Cell[]>;

const TABLES: [Stage, Record<OrgKey, Cell[]>][] = [
  ['ga', GA],
  ['beta', BETA],
  ['off', OFF_TABLE],
];

describeEachDb('world: who may message whom', (t) => {
  it('answers every cell of the matrix under stages ga, beta and off, in the directory and when starting a chat', async () => {
    const ctx = t().ctx;
    const u = uniq();
    const domain = (k: OrgKey) => `${k.toLowerCase().replace('_', '-')}-${u}.example`;
    const spec: Record<OrgKey, { plan: Plan; policy?: Partial<OrgPolicy> }> = {
      PAID_IN: { plan: 'paid', policy: { externalMessaging: true, requireAcceptance: false } },
      PAID_OUT: { plan: 'paid' },
      TRIAL: { plan: 'trial', policy: { externalMessaging: true } },
      CP: { plan: 'channel_partner' },
      B1: { plan: 'basic' },
      B2: { plan: 'basic' },
      LIST: { plan: 'channel_partner', policy: { allow: 'listed', allowDomains: [domain('CP'), domain('B1')] } },
      ACCEPT: { plan: 'basic', policy: { requireAcceptance: true } },
      BLOCK: { plan: 'channel_partner', policy: { blockDomains: [domain('B2')] } },
    };
    const orgs = {} as Record<OrgKey, Awaited<ReturnType<typeof makeOrg>>>;
    for (const k of ORGS) orgs[k] = await makeOrg(ctx, { name: `${k} ${u}`, plan: spec[k].plan, policy: spec[k].policy, domain: domain(k) });

    for (const [stage, table] of TABLES) {
      await ctx.settings.setStage(stage);
      ctx.settings.invalidate();
      // A sender and a recipient per org and stage, so that every cell is a pair of its own.
      const senders = {} as Record<OrgKey, TestUser>;
      const recipients = {} as Record<OrgKey, TestUser>;
      for (const k of ORGS) {
        senders[k] = await makeUser(t(), { org: orgs[k], displayName: `Sender ${k} ${stage}` });
        recipients[k] = await makeUser(t(), { org: orgs[k], displayName: `Recipient ${k} ${stage}` });
      }
      const failures: string[] = [];
      for (const s of ORGS) {
        for (const [j, r] of ORGS.entries()) {
          const expected = table[s][j]!;
          const where = `${stage}: ${s} -> ${r}`;
          const sender = senders[s];
          const recipient = recipients[r];

          const found = await sender.api.call(api.directory.search, { query: { q: recipient.email.toUpperCase() } });
          const entry = found.items.find((e) => e.userId === recipient.user.id);
          if (!entry) {
            failures.push(`${where}: not found in the directory`);
            continue;
          }
          const dirCell = entry.canMessage.allowed ? 'ok' : entry.canMessage.reason;
          const wantDir = expected === L || expected === R ? 'ok' : expected;
          if (dirCell !== wantDir) failures.push(`${where}: directory says ${dirCell}, expected ${wantDir}`);
          if (!entry.canMessage.allowed && !entry.canMessage.message) failures.push(`${where}: refusal without a sentence`);
          if (entry.external !== (s !== r)) failures.push(`${where}: external flag ${entry.external}`);

          let got: string;
          try {
            const conv = await sender.api.call(api.conversations.startDirect, { body: { email: recipient.email } });
            got = conv.state === 'live' ? L : conv.state === 'request' ? R : `state ${conv.state}`;
          } catch (err) {
            if (!(err instanceof ApiError)) throw err;
            got = err.status === 403 && err.code === 'policy_refused' ? (err.reason ?? 'no reason') : `${err.status} ${err.code}`;
          }
          if (got !== expected) failures.push(`${where}: start says ${got}, expected ${expected}`);
        }
      }
      expect(failures, failures.join('\n')).toEqual([]);
    }
    await ctx.settings.setStage('ga');
    ctx.settings.invalidate();
  });
});
