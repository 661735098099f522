import type * as z from 'zod';

/**
 * A zod schema built the first time it is used, then kept: `lazySchema(() => z.object({...}))` has the
 * type of the schema the function returns (so `z.infer<typeof X>`, `.parse`, `.shape`, `.extend` and
 * nesting in other schemas work unchanged), but nothing is constructed at import.
 *
 * Why: a Lambda cold start evaluates every module of the function's init graph, and building zod
 * schemas is a measurable share of it (bench/README.md section 5). A schema that only some paths parse
 * (checkpoints, reviews, manifests, another function's env) should cost nothing on the others.
 * Validation is exactly as strict: the built schema is the one the function returns.
 */
export function lazySchema<Schema extends z.ZodType>(build: () => Schema): Schema {
  let built: Schema | undefined;
  const schema = (): Schema => {
    if (built === undefined) {
      built = build();
      builds += 1;
    }
    return built;
  };
  // The proxy forwards every operation to the built schema, with the schema itself as `this` and
  // receiver, so zod's getters and its `instanceof` checks see the real object.
  const lazy = new Proxy({} as Schema, {
    get: (_target, key) => Reflect.get(schema(), key),
    set: (_target, key, value) => Reflect.set(schema(), key, value),
    has: (_target, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      // A proxy may not report a non-configurable property its (empty) target lacks.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
  lazySchemas.set(lazy, schema);
  return lazy;
}

/**
 * The schema behind a lazySchema, built now (any other schema comes back as it is). For nesting one
 * inside another lazy schema's builder: zod then calls the real schema for each element it parses,
 * not the proxy (a proxy trap per array element cost about a third more on a 50k-row array).
 */
export function builtSchema<Schema extends z.ZodType>(schema: Schema): Schema {
  const build = lazySchemas.get(schema);
  return build === undefined ? schema : (build() as Schema);
}

let builds = 0;
const lazySchemas = new WeakMap<object, () => z.ZodType>();

/** How many lazy schemas this process has built so far (tests pin that importing a handler builds none). */
export const lazySchemaBuilds = (): number => builds;

/** Whether `value` is a lazySchema (tests pin which schemas stay out of a cold start). */
export const isLazySchema = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && lazySchemas.has(value);
