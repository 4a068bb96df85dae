import type { PolicyReason } from '../../../src/shared/errors.js';
import { ApiError } from '../../../src/shared/client.js';

/**
 * Plain-words explanations of the contract's policy reasons. The server's own sentence wins when
 * it sent one; these cover answers without a message (e.g. a chat's read-only state).
 */
const REASON_TEXT: Record<PolicyReason, string> = {
  stage_off: 'Messaging people in other organizations is switched off on this Parley server for now.',
  sender_org_not_eligible: 'Your organization’s plan does not include messaging people in other organizations yet.',
  sender_org_disabled: 'Your organization has not switched on messaging people in other organizations.',
  sender_org_disallows: 'Your organization’s settings do not allow messaging this person’s organization.',
  recipient_org_not_accepting: 'This person’s organization does not accept messages from your organization.',
  blocked: 'This conversation is blocked.',
  user_inactive: 'This person’s account is not active.',
  request_limit: 'You cannot send more messages until they accept your message request.',
  external_files_disabled: 'Sharing files with this organization is not allowed.',
  file_too_large: 'This file is larger than the organizations allow.',
};

const CODE_TEXT: Record<string, string> = {
  invalid_credentials: 'That email and password do not match.',
  email_not_verified: 'Please verify your email first: open the link we sent you.',
  account_inactive: 'This account is not active. Ask your administrator.',
  email_taken: 'An account with this email already exists.',
  invalid_token: 'This link is invalid or has expired.',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  unauthenticated: 'Please sign in again.',
  client_too_old: 'This page is out of date. Please reload it.',
  message_too_large: 'This message is too long.',
  payload_too_large: 'This is too large.',
  not_found: 'Not found.',
  forbidden: 'You are not allowed to do that.',
  internal_error: 'Something went wrong on the server. Please try again.',
  service_unavailable: 'The server is busy. Please try again in a moment.',
};

export function isPolicyReason(r: unknown): r is PolicyReason {
  return typeof r === 'string' && Object.prototype.hasOwnProperty.call(REASON_TEXT, r);
}

export function reasonText(reason: string | undefined | null, serverMessage?: string | null): string {
  if (serverMessage && serverMessage.trim()) return serverMessage;
  if (isPolicyReason(reason)) return REASON_TEXT[reason];
  return 'This is not allowed.';
}

/**
 * A form's names for the API's fields, keyed by the path the server reports (`body.email`,
 * `query.since`), so a refusal names the field as the person sees it on the page.
 */
export type FieldLabels = Record<string, string>;

/** `body.maxFileBytes` → "Max file bytes": a last resort when the form gave no label. */
function fieldWords(path: string): string {
  const last = path.split('.').filter((p) => !/^\d+$/.test(p)).pop() ?? path;
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A server sentence about no single field that names API parameters ("since must not be after
 * until") speaks of them by the form's labels instead.
 */
function withLabels(message: string, labels: FieldLabels): string {
  let out = message;
  for (const [path, label] of Object.entries(labels)) {
    const name = path.split('.').pop();
    if (!name) continue;
    out = out.replace(new RegExp(`(^|[^\\w.“])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w”])`, 'g'), `$1“${label}”`);
  }
  return out;
}

/** Seconds to wait, in the unit a person thinks in: minutes (rounded up) past a minute and a half. */
export function waitText(seconds: number): string {
  if (seconds > 90) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minutes`;
  }
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/** What to tell a person about a failed call; `labels` name the form's fields. */
export function errorText(err: unknown, labels: FieldLabels = {}): string {
  if (err instanceof ApiError) {
    if (err.reason) return reasonText(err.reason, err.message);
    if (err.code === 'invalid_request') {
      const issue = err.body.error.issues?.[0];
      if (issue) {
        const field = labels[issue.path] ?? (issue.path ? fieldWords(issue.path) : '');
        if (!field) return issue.message;
        // "since is not a valid date": the sentence starts with the field's API name, which
        // becomes its label; otherwise the label goes in front ("Largest file (MiB): at most …").
        const name = issue.path.split('.').pop() ?? '';
        if (name && issue.message.startsWith(`${name} `)) return `“${field}”${issue.message.slice(name.length)}`;
        return `${field}: ${issue.message}`;
      }
      if (err.message) return withLabels(err.message, labels);
    }
    if (err.code === 'rate_limited' && err.body.error.retryAfter) {
      return `Too many attempts. Please try again in ${waitText(err.body.error.retryAfter)}.`;
    }
    return CODE_TEXT[err.code] ?? (err.message || 'Something went wrong.');
  }
  if (err instanceof TypeError) return 'Cannot reach the server. Check your connection.';
  return err instanceof Error && err.message ? err.message : 'Something went wrong.';
}
