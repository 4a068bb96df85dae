import { z } from 'zod';
import { hasVisibleChar, UNSAFE_NAME_CHARS } from './common.js';
import { defineRoute } from './define.js';
import { Capability, Ok, Org, User } from './shapes.js';

/** Limits shared by server validation and client forms. */
export const LIMITS = {
  emailMax: 254,
  passwordMin: 8,
  passwordMax: 256,
  displayNameMax: 100,
  tokenMax: 200,
} as const;

export const Email = z
  .string()
  .trim()
  .max(LIMITS.emailMax, `An email address has at most ${LIMITS.emailMax} characters`)
  .pipe(z.email({ message: 'Not a valid email address' }));

export const Password = z
  .string()
  .min(LIMITS.passwordMin, `A password has at least ${LIMITS.passwordMin} characters`)
  .max(LIMITS.passwordMax, `A password has at most ${LIMITS.passwordMax} characters`);

export const DisplayName = z
  .string()
  .trim()
  .min(1, 'A name is required')
  .max(LIMITS.displayNameMax, `A name has at most ${LIMITS.displayNameMax} characters`)
  .refine((s) => !UNSAFE_NAME_CHARS.test(s), 'A name cannot contain control or text-direction characters')
  .refine(hasVisibleChar, 'A name needs at least one visible character');

const Token = z.string().min(1).max(LIMITS.tokenMax);

export const Me = z.object({
  user: User,
  org: Org,
  capabilities: z.object({ externalMessaging: Capability }),
});
export type Me = z.infer<typeof Me>;

export const signup = defineRoute({
  method: 'POST',
  path: '/api/v1/auth/signup',
  summary: 'Create an account; a verification email is sent',
  tag: 'auth',
  auth: 'none',
  status: 201,
  body: z.strictObject({ email: Email, password: Password, displayName: DisplayName }),
  response: z.object({ ok: z.literal(true), verificationSent: z.boolean() }),
});

export const verify = defineRoute({
  method: 'POST',
  path: '/api/v1/auth/verify',
  summary: 'Verify an email address with the emailed token; binds pending chats',
  tag: 'auth',
  auth: 'none',
  body: z.strictObject({ token: Token }),
  // `setPasswordToken`: more than one sign-up was made for this email, so none of their passwords
  // counts; whoever verified chooses one with it (POST /auth/password-reset/confirm).
  response: z.object({ user: User, setPasswordToken: z.string().optional() }),
});

export const login = defineRoute({
  method: 'POST',
  path: '/api/v1/auth/login',
  summary: 'Sign in; answers a bearer token and sets the session cookie',
  tag: 'auth',
  auth: 'none',
  body: z.strictObject({ email: Email, password: z.string().min(1).max(LIMITS.passwordMax) }),
  response: z.object({ token: z.string(), user: User }),
});

export const logout = defineRoute({
  method: 'POST',
  path: '/api/v1/auth/logout',
  summary: 'End the current session',
  tag: 'auth',
  response: Ok,
});

export const passwordReset = defineRoute({
  method: 'POST',
  path: '/api/v1/auth/password-reset',
  summary: 'Email a password reset link (never says whether the email exists)',
  tag: 'auth',
  auth: 'none',
  body: z.strictObject({ email: Email }),
  response: Ok,
});

export const passwordResetConfirm = defineRoute({
  method: 'POST',
  path: '/api/v1/auth/password-reset/confirm',
  summary: 'Set a new password with the emailed token; ends all other sessions',
  tag: 'auth',
  auth: 'none',
  body: z.strictObject({ token: Token, password: Password }),
  response: Ok,
});

export const me = defineRoute({
  method: 'GET',
  path: '/api/v1/me',
  summary: 'The signed-in user, their org and their capabilities',
  tag: 'auth',
  response: Me,
});
