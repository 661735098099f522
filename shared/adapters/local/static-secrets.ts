import type { MozCredentials, SecretSource } from '#shared/ports.ts';

/** Credentials fixed for the life of the process (environment variables, or the embedded simulator). */
export function staticSecretSource(credentials: MozCredentials, description: string): SecretSource {
  return { read: async () => credentials, refresh: async () => credentials, description };
}
