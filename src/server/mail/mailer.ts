import type { Kysely } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { newId, nowIso } from '../db/util.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** What the mail is for: `verify`, `reset`, `invite`, … (shown by `parley mail list`). */
  kind: string;
}

/**
 * Every mail is first written to the outbox table (so the operator can always see what was
 * sent, with `parley mail list`), then delivered over SMTP when an SMTP URL is configured, or
 * written to the log otherwise. Delivery never blocks or fails the request that caused it.
 */
export class Mailer {
  private readonly transport: Transporter | null;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    smtpUrl: string | null,
    private readonly from = 'Parley <no-reply@parley.invalid>',
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;
  }

  /** Records the mail and starts delivery; resolves once it is recorded. */
  async send(mail: OutgoingMail): Promise<string> {
    const id = newId();
    await this.db
      .insertInto('mail_outbox')
      .values({ id, to_addr: mail.to, subject: mail.subject, text_body: mail.text, kind: mail.kind, created_at: nowIso(), sent_at: null, error: null })
      .execute();
    const p = this.deliver(id, mail).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return id;
  }

  private async deliver(id: string, mail: OutgoingMail): Promise<void> {
    if (!this.transport) {
      this.log.info({ mail: { id, to: mail.to, kind: mail.kind, subject: mail.subject }, text: mail.text }, 'mail (no SMTP configured)');
      return;
    }
    try {
      await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
      await this.db.updateTable('mail_outbox').set({ sent_at: nowIso() }).where('id', '=', id).execute();
    } catch (err) {
      this.log.warn({ err, mailId: id }, 'mail delivery failed');
      await this.db
        .updateTable('mail_outbox')
        .set({ error: String((err as Error).message ?? err).slice(0, 500) })
        .where('id', '=', id)
        .execute()
        .catch(() => undefined);
    }
  }

  /** Waits for deliveries under way (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.transport?.close();
  }
}

export interface OutboxEntry {
  id: string;
  to: string;
  subject: string;
  text: string;
  kind: string;
  createdAt: string;
  sentAt: string | null;
  error: string | null;
}

export async function listOutbox(db: Kysely<Database>, opts: { to?: string; limit?: number } = {}): Promise<OutboxEntry[]> {
  let q = db.selectFrom('mail_outbox').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit ?? 50);
  if (opts.to) q = q.where('to_addr', '=', opts.to);
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, to: r.to_addr, subject: r.subject, text: r.text_body, kind: r.kind, createdAt: r.created_at, sentAt: r.sent_at, error: r.error }));
}
