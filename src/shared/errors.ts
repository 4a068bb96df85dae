/**
 * Stable error codes of the public API. Clients switch on `code` (and on `reason` for policy
 * refusals); messages are for people and may change.
 */
export const ERROR_CODES = [
  'invalid_request', // body, query or params failed validation
  'invalid_json', // body is not parseable JSON
  'unsupported_media_type',
  'payload_too_large',
  'not_found',
  'route_not_found',
  'method_not_allowed',
  'unauthenticated',
  'invalid_credentials',
  'email_not_verified',
  'account_inactive',
  'forbidden',
  'policy_refused', // cross-org rules refused; see `reason`
  'conflict',
  'email_taken',
  'email_domain_claimed', // an address on a domain another org has verified: only its owner, by signing up, may take it
  'personal_org', // a basic org is one person's own: nobody else can be added to it
  'invalid_token',
  'rate_limited',
  'client_too_old',
  'message_too_large',
  'system_note', // a note the server wrote about a group change cannot be edited or deleted
  'internal_error',
  'service_unavailable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number] | (string & {});

/** Reasons carried by `policy_refused` errors and by capability refusals (design.md). */
export const POLICY_REASONS = [
  'stage_off',
  'sender_org_not_eligible',
  'sender_org_disabled',
  'sender_org_disallows',
  'recipient_org_not_accepting',
  'blocked',
  'user_inactive',
  'request_limit',
  'external_files_disabled',
  'file_too_large',
] as const;

export type PolicyReason = (typeof POLICY_REASONS)[number];

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    reason?: PolicyReason;
    /** Field-level details for `invalid_request`. */
    issues?: { path: string; message: string }[];
    /** Seconds to wait, for `rate_limited`. */
    retryAfter?: number;
    /** The oldest client version accepted, for `client_too_old`. */
    minVersion?: string;
  };
}
