#!/usr/bin/env node
// The `linkgap` command's one entry point: `tsx cli/bin.ts` from the clone, dist/linkgap.js once built.
import { main } from './main.ts';
import { exitQuietlyOnBrokenPipe } from './output.ts';

exitQuietlyOnBrokenPipe();
process.exitCode = await main(process.argv.slice(2));
