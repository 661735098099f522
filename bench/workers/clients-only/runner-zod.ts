/**
 * The runner's clients-only reference plus classic zod, imported the way linkgap imports it
 * (`import * as z`, which esbuild tree-shakes) and used for one schema of one string field (bench/cold-start.ts):
 * what validating anything at all adds to a cold start, the floor under any lazy schema work.
 */
import * as z from 'zod';

export { handler } from './runner.ts';
export const validator = z.object({ id: z.string() });
