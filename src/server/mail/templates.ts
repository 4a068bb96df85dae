import type { OutgoingMail } from './mailer.js';

/**
 * The texts of Parley's mails: plain text, short, with each link alone on its own line so that
 * every mail client makes it clickable and nothing wraps it.
 */

const SIGNATURE = '— Parley';

function lines(...parts: (string | null | undefined)[]): string {
  return `${parts.filter((p) => p !== null && p !== undefined).join('\n')}\n`;
}

export function verifyEmailMail(input: { to: string; displayName: string; link: string }): OutgoingMail {
  return {
    to: input.to,
    kind: 'verify',
    subject: 'Confirm your email address for Parley',
    text: lines(
      `Hello ${input.displayName},`,
      '',
      'Please confirm that this is your email address by opening this link:',
      '',
      input.link,
      '',
      'The link works once and for 48 hours. Until you confirm, you cannot sign in.',
      '',
      'If you did not sign up for Parley, ignore this mail: no account is created without this confirmation.',
      '',
      SIGNATURE,
    ),
  };
}

export function passwordResetMail(input: { to: string; displayName: string; link: string }): OutgoingMail {
  return {
    to: input.to,
    kind: 'reset',
    subject: 'Reset your Parley password',
    text: lines(
      `Hello ${input.displayName},`,
      '',
      'Someone (hopefully you) asked to reset the password of your Parley account. To choose a new password, open this link:',
      '',
      input.link,
      '',
      'The link works once and for 1 hour. Setting a new password signs you out everywhere.',
      '',
      'If you did not ask for this, ignore this mail: your password stays as it is.',
      '',
      SIGNATURE,
    ),
  };
}

/** For an account an org admin created: the person chooses their first password by the link. */
export function accountInviteMail(input: { to: string; displayName: string; orgName: string; invitedBy?: string | null; link: string }): OutgoingMail {
  return {
    to: input.to,
    kind: 'invite',
    subject: `Your Parley account at ${input.orgName}`,
    text: lines(
      `Hello ${input.displayName},`,
      '',
      `${input.invitedBy ? `${input.invitedBy} created` : 'An administrator created'} a Parley account for you at ${input.orgName}. To choose your password and sign in, open this link:`,
      '',
      input.link,
      '',
      'If the link has expired, use "Forgot password" on the sign-in page with this email address.',
      '',
      SIGNATURE,
    ),
  };
}

/** For someone who has no Parley account yet and was sent a message (a pending chat). */
export function chatInvitationMail(input: { to: string; fromName: string; fromOrgName: string; link: string }): OutgoingMail {
  return {
    to: input.to,
    kind: 'chat_invite',
    subject: `${input.fromName} wants to chat with you on Parley`,
    text: lines(
      'Hello,',
      '',
      `${input.fromName} (${input.fromOrgName}) started a conversation with you on Parley. Sign up with this email address to read and answer it:`,
      '',
      input.link,
      '',
      'Messages already written are waiting for you once your email address is confirmed.',
      '',
      SIGNATURE,
    ),
  };
}
