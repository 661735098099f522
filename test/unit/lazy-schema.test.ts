import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { builtSchema, isLazySchema, lazySchema, lazySchemaBuilds } from '#domain/lazy-schema.ts';

describe('lazySchema', () => {
  it('builds its schema on first use, once, and validates exactly like it', () => {
    let builds = 0;
    const Point = lazySchema(() => {
      builds++;
      return z.strictObject({ x: z.number().int(), label: z.string().min(1).optional() });
    });
    const eager = z.strictObject({ x: z.number().int(), label: z.string().min(1).optional() });
    const before = lazySchemaBuilds();
    expect(builds).toBe(0);
    expect(Point.parse({ x: 3 })).toEqual({ x: 3 });
    expect(Point.safeParse({ x: 1.5, y: 1 }).error?.issues).toEqual(
      eager.safeParse({ x: 1.5, y: 1 }).error?.issues,
    );
    expect(Object.keys(Point.shape)).toEqual(['x', 'label']);
    expect(builds).toBe(1);
    expect(lazySchemaBuilds()).toBe(before + 1);
    expect(isLazySchema(Point)).toBe(true);
    expect(isLazySchema(eager)).toBe(false);
  });

  it('works inside other schemas and with zod instanceof checks and derivations', async () => {
    const Inner = lazySchema(() => z.enum(['a', 'b']));
    const Outer = z.object({ inner: Inner.nullable(), list: z.array(Inner) });
    expect(Outer.parse({ inner: null, list: ['a', 'b'] })).toEqual({ inner: null, list: ['a', 'b'] });
    expect(Outer.safeParse({ inner: 'c', list: [] }).success).toBe(false);
    expect(Inner).toBeInstanceOf(z.ZodEnum);
    expect(Inner.options).toEqual(['a', 'b']);
    const Env = lazySchema(() => z.object({ A: z.string(), B: z.coerce.number().default(2) }));
    const Picked = Env.pick({ B: true }).extend({ C: Inner });
    expect(Picked.parse({ C: 'a' })).toEqual({ B: 2, C: 'a' });
    expect(await Env.parseAsync({ A: 'x', B: '5' })).toEqual({ A: 'x', B: 5 });
  });

  it('builtSchema hands back the schema behind a lazySchema (built once), and any other schema as it is', () => {
    let builds = 0;
    const Lazy = lazySchema(() => {
      builds++;
      return z.array(z.string());
    });
    const real = builtSchema(Lazy);
    expect(isLazySchema(real)).toBe(false);
    expect(real).not.toBe(Lazy);
    expect(builtSchema(Lazy)).toBe(real);
    expect(Lazy.parse(['a'])).toEqual(['a']);
    expect(builds).toBe(1);
    const eager = z.number();
    expect(builtSchema(eager)).toBe(eager);
    const Page = z.object({ rows: z.array(builtSchema(Lazy)) });
    expect(Page.safeParse({ rows: [['a'], [1]] }).error?.issues[0]?.path).toEqual(['rows', 1, 0]);
  });

  it('keeps z.infer', () => {
    const Row = lazySchema(() => z.object({ n: z.number() }));
    const row: z.infer<typeof Row> = Row.parse({ n: 1 });
    expect(row.n).toBe(1);
  });
});
