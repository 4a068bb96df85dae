import { describe, expect, it } from 'vitest';
import { accountInviteMail, chatInvitationMail, passwordResetMail, verifyEmailMail } from './templates.js';

describe('mail templates', () => {
  const link = 'https://parley.example/verify?token=abc_DEF-123';
  const cases = [
    verifyEmailMail({ to: 'a@x.example', displayName: 'Ann', link }),
    passwordResetMail({ to: 'a@x.example', displayName: 'Ann', link }),
    accountInviteMail({ to: 'a@x.example', displayName: 'Ann', orgName: 'Acme', invitedBy: 'Bob', link }),
    chatInvitationMail({ to: 'a@x.example', fromName: 'Bob', fromOrgName: 'Acme', link }),
  ];

  it('put the link alone on its own line, in plain text', () => {
    for (const mail of cases) {
      expect(mail.text.split('\n')).toContain(link);
      expect(mail.text).not.toMatch(/<[a-z]+[ >]/i);
      expect(mail.to).toBe('a@x.example');
      expect(mail.subject.length).toBeGreaterThan(5);
    }
  });

  it('name what each mail is for', () => {
    expect(cases.map((m) => m.kind)).toEqual(['verify', 'reset', 'invite', 'chat_invite']);
    expect(cases[0]!.text).toContain('Ann');
    expect(cases[2]!.subject).toContain('Acme');
    expect(cases[2]!.text).toContain('Bob created');
    expect(accountInviteMail({ to: 'a@x.example', displayName: 'Ann', orgName: 'Acme', link }).text).toContain('An administrator created');
    expect(cases[3]!.subject).toContain('Bob');
  });
});
