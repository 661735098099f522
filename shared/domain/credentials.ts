import * as z from 'zod';

/** Moz credentials: an API token, or a legacy Access ID and Secret Key. Never logged. */
export const MozCredentials = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('token'), token: z.string().min(1) }),
  z.object({ kind: z.literal('basic'), accessId: z.string().min(1), secretKey: z.string().min(1) }),
]);
export type MozCredentials = z.infer<typeof MozCredentials>;
