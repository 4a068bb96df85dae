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

/** What to tell a person about a failed call. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.reason) return reasonText(err.reason, err.message);
    const issue = err.body.error.issues?.[0];
    if (err.code === 'invalid_request' && issue) return issue.message;
    if (err.code === 'rate_limited' && err.body.error.retryAfter) {
      return `Too many attempts. Please try again in ${err.body.error.retryAfter} seconds.`;
    }
    return CODE_TEXT[err.code] ?? (err.message || 'Something went wrong.');
  }
  if (err instanceof TypeError) return 'Cannot reach the server. Check your connection.';
  return err instanceof Error && err.message ? err.message : 'Something went wrong.';
}
