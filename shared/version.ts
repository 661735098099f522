import packageJson from '../package.json' with { type: 'json' };

/**
 * The linkgap version: what `linkgap --version` prints and every run manifest records as
 * `software_version`. It is package.json's, read from source in the clone and Lambda bundles, and
 * inlined by esbuild into dist/.
 */
export const VERSION: string = packageJson.version;
