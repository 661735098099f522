import * as z from 'zod';

/**
 * Building blocks for parsing an env-like record with zod, shared by every composition root that
 * reads one (the Lambda environment, the Moz settings). Errors name the variable, never its value:
 * an env record may hold a credential.
 */

/** A blank variable counts as unset, so `FOO=` falls back to the default like an absent one. */
export const blankToUndefined = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** A variable that must be set: `<name> is not set` when absent or blank. */
export const requiredVariable = (name: string) =>
  z.preprocess(
    blankToUndefined,
    z.string({
      error: (issue) => (issue.input === undefined ? `${name} is not set` : `${name} must be a string`),
    }),
  );

/** An http(s) URL; required unless a fallback is given. */
export function httpUrlVariable(name: string, fallback?: string) {
  const url = z.url({
    protocol: /^https?$/,
    error: (issue) => (issue.input === undefined ? `${name} is not set` : `${name} must be an http(s) URL`),
  });
  return z.preprocess(blankToUndefined, fallback === undefined ? url : url.default(fallback));
}

/**
 * One line naming each bad variable: `A is not set; B: Too small: expected ...`. A message that
 * already names its variable is not prefixed with it again.
 */
export function describeEnvIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const variable = issue.path.join('.');
      return variable && issue.message.includes(variable)
        ? issue.message
        : `${variable || '(env)'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Parses `env` with `schema`, or throws the error `toError` makes from the one-line description of
 * every bad variable (see {@link describeEnvIssues}).
 */
export function parseEnv<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
  toError: (detail: string) => Error,
): z.output<Schema> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw toError(describeEnvIssues(parsed.error));
  return parsed.data;
}
