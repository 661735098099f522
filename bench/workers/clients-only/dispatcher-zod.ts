/**
 * The dispatcher's clients-only reference plus classic zod's import, nothing built (bench/cold-start.ts):
 * what loading the validator alone adds to a cold start, the floor under any lazy schema work.
 */
import { z } from 'zod';

export { handler } from './dispatcher.ts';
export const validator = z;
