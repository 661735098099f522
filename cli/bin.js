#!/usr/bin/env node
// The `linkgap` command. The CLI is TypeScript run through tsx, like `npm start`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const { exitQuietlyOnBrokenPipe } = await import('./output.ts');
exitQuietlyOnBrokenPipe();
process.exitCode = await main(process.argv.slice(2));
