/**
 * esbuild plugins shared by the CLI build (scripts/build-cli.ts) and the Lambda bundles
 * (scripts/bundle-lambda.ts, which infra/constructs/linkgap-function.ts runs at synth).
 */
import { dirname } from 'node:path';
import type { Plugin } from 'esbuild';

/** Bundled CommonJS dependencies call `require` for Node built-ins, which an ES module lacks. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __linkgapCreateRequire } from 'node:module'; const require = __linkgapCreateRequire(import.meta.url);";

/**
 * zod re-exports its 40-odd message locales as `z.locales`, and esbuild cannot drop a namespace
 * re-export: 258 KB every bundle would parse at start-up. linkgap never calls `z.config(z.locales…)`
 * (English is registered by zod's schemas themselves), so only `en` stays reachable.
 */
export const ZOD_ENGLISH_ONLY: Plugin = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * Two more parts of zod reach a bundle only through the `z` namespace, which esbuild cannot tree-shake:
 * `z.compile` (its code-generating fast path, `v4/core/compile.js`, 29 KB) and `z.fromJSONSchema`
 * (12 KB). linkgap parses with the runtime parser and never builds schemas from JSON Schema, so each
 * is replaced by the same exports throwing a clear error if ever called; parsing is unchanged.
 */
export const ZOD_RUNTIME_PARSER_ONLY: Plugin = {
  name: 'zod-runtime-parser-only',
  setup(pluginBuild) {
    const leftOut = (what: string) =>
      `function leftOut() { throw new Error(${JSON.stringify(`linkgap's bundles leave out zod's ${what} (see scripts/esbuild-plugins.ts)`)}); }`;
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]core[\\/]compile\.js$/ }, () => ({
      contents: `${leftOut('z.compile')}
export const INVALID = Symbol.for("zod.compile.invalid");
export class ZodCompileAsyncError extends Error {}
export class ZodCompileUnsupportedError extends Error {}
export const compile = leftOut;
export const withParser = leftOut;
export const compileFn = leftOut;`,
      loader: 'js',
    }));
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/ }, () => ({
      contents: `${leftOut('z.fromJSONSchema')}\nexport const fromJSONSchema = leftOut;`,
      loader: 'js',
    }));
  },
};

/**
 * undici's entry point is CommonJS that loads everything it offers (fetch, WebSocket, caches, mocks,
 * proxies, cookies) and runs part of it at import: 526 KB that esbuild cannot tree-shake. The Moz
 * client uses two things, `Agent` and `request` (shared/moz/call.ts and http.ts, with an Agent of
 * their own; shared/adapters/webhook-channel.ts, with undici's global dispatcher), so linkgap's own
 * imports of `undici` get just those, from undici's own modules: the same Agent class and the same
 * request function the entry point exports, with the entry point's handling of a string or URL and
 * of a missing dispatcher (`makeDispatcher` in undici/index.js). Importing anything else from
 * `undici` fails the build ("No matching export"), so a new use cannot slip through half-bundled.
 *
 * Three parts the client path requires only on demand are left out as well, each replaced by a module
 * that throws a clear error if it is ever reached:
 * - the FormData/Blob body encoder (`web/fetch/body.js`, which pulls in most of fetch and WebIDL):
 *   the Moz client only sends a JSON string;
 * - the non-SIMD copy of the llhttp parser (70 KB of WebAssembly as base64), undici's fallback for
 *   engines without WebAssembly SIMD (old Node on ppc64). Node.js 24 on arm64 (LINKGAP_RUNTIME) has
 *   SIMD, so the SIMD build, which undici tries first, is the one that runs;
 * - the HTTP/2 client (`client-h2.js`), whose import loads Node's `http2` (≈ 4 ms of every cold start,
 *   and the AWS SDK does not load it). undici speaks HTTP/2 only to a server that picks `h2` in ALPN,
 *   and it offers `h2` only with `allowH2`, which the Moz client never sets (undici's default is off),
 *   so every connection is HTTP/1.1 (client-h1.js). Were `h2` ever negotiated, the connection fails
 *   with the error below instead of silently working differently.
 */
export const UNDICI_CLIENT_ONLY: Plugin = {
  name: 'undici-client-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^undici$/ }, (args) =>
      /[\\/]node_modules[\\/]/.test(args.importer)
        ? undefined
        : { path: 'undici-client-only', namespace: 'linkgap-undici', pluginData: args.resolveDir },
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'linkgap-undici' }, (args) => ({
      contents: UNDICI_CLIENT_SOURCE,
      loader: 'js',
      resolveDir: args.pluginData as string,
    }));
    pluginBuild.onResolve({ filter: /^\.\.\/(web\/fetch\/body|llhttp\/llhttp-wasm)\.js$/ }, (args) =>
      /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h[12]\.js$/.test(args.importer)
        ? { path: args.path, namespace: 'linkgap-undici-left-out' }
        : undefined,
    );
    pluginBuild.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) =>
      /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/.test(args.importer)
        ? { path: args.path, namespace: 'linkgap-undici-no-h2' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'linkgap-undici-no-h2' }, () => ({
      contents: `module.exports = function connectH2() { throw new Error(${JSON.stringify(
        "linkgap's bundles leave out undici's HTTP/2 client (allowH2 is off; see scripts/esbuild-plugins.ts)",
      )}); };`,
      loader: 'js',
    }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'linkgap-undici-left-out' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`linkgap's bundles leave out undici's ${args.path} (see scripts/esbuild-plugins.ts)`)});`,
      loader: 'js',
    }));
  },
};

const UNDICI_CLIENT_SOURCE = `
import Agent from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import { InvalidArgumentError } from 'undici/lib/core/errors.js';
import util from 'undici/lib/core/util.js';
import { getGlobalDispatcher } from 'undici/lib/global.js';
export { Agent };
export function request(url, opts) {
  if (!(url instanceof URL) && (typeof url !== 'string' || url === '')) throw new InvalidArgumentError('invalid url');
  if (opts == null || typeof opts !== 'object' || opts.path != null || opts.agent != null) {
    throw new InvalidArgumentError('linkgap bundles undici for request(url, { method, ... }) only');
  }
  const parsed = util.parseURL(url);
  return apiRequest.call(opts.dispatcher ?? getGlobalDispatcher(), {
    ...opts,
    origin: parsed.origin,
    path: parsed.search ? parsed.pathname + parsed.search : parsed.pathname,
    method: opts.method || (opts.body ? 'PUT' : 'GET'),
  });
}
`;
