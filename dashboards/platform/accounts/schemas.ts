/** Accounts, sessions and tokens on the wire. */
import { z } from 'zod';
import { ROLES } from './roles.ts';

export const accountView = z.strictObject({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  displayName: z.string(),
  region: z.string().nullable(),
  enterpriseId: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: z.number().int(),
});

export const accountInput = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  displayName: z.string().min(1).max(200),
  password: z.string().min(1).max(1024),
  region: z.string().min(1).max(16).optional(),
  enterpriseId: z.string().min(1).max(64).optional(),
});

export const loginInput = z.strictObject({
  name: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export const sessionView = z.strictObject({
  account: z.strictObject({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    region: z.string().nullable(),
    enterpriseId: z.string().nullable(),
  }),
  /** Send it back as x-csrf-token (or the form field _csrf) with every change. */
  csrfToken: z.string(),
});

export const tokenInput = z.strictObject({ name: z.string().min(1).max(100) });
export const tokenView = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
});
/** The token itself is in this answer only: it is kept hashed. */
export const createdToken = tokenView.extend({ token: z.string() });
export const nameParams = z.strictObject({ name: z.string().min(1).max(64) });
