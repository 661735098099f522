import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { REPO_ROOT, repoPath } from '../paths.ts';

/**
 * The runtime every linkgap function uses. Pinned (not NODEJS_LATEST) so a CDK upgrade never
 * changes the runtime silently; cdk-nag L1 fails synth when Lambda ships a newer Node.js, which is
 * the reminder to move this one line.
 */
export const LINKGAP_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * Makes `require` exist in the ESM bundle: some bundled CommonJS dependencies call `require` for
 * Node built-ins, which an ES module does not define.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __linkgapCreateRequire } from 'node:module'; const require = __linkgapCreateRequire(import.meta.url);";

/**
 * Never bundled, never imported by a Lambda: DuckDB (native, used by the CLI) and playwright-core
 * (used by report tests). Marking them external keeps an accidental import from dragging native
 * binaries into a bundle. `@aws-sdk/*` is bundled on purpose: the version in package-lock.json is
 * the version that runs, not whatever the Lambda runtime happens to ship.
 */
const NEVER_BUNDLED = ['@duckdb/*', 'playwright-core'];

export interface LinkgapFunctionProps {
  /** Entry file relative to the repository root, e.g. `functions/runner/handler.ts` (exports `handler`). */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Maximum run time.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU scales with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Environment variables; `NODE_OPTIONS=--enable-source-maps` is always added.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * How long the function's CloudWatch logs are kept. A year covers twelve monthly runs of every
   * campaign, enough to compare a run with the same month's run a year earlier or audit Moz row
   * spending; the volume (a few invocations a day) makes the cost negligible.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Active X-Ray tracing. Off by default: the pipeline's own metrics and logs carry the run id,
   * and tracing adds permissions on `*`.
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * A NodejsFunction with linkgap's defaults fixed in one place: Node.js 24 on arm64, an ESM bundle
 * (minified, with source maps) built by the local esbuild (never Docker), an explicit log group
 * with retention (`this.logGroup`), and a role that may write only to that log group (no AWSLambdaBasicExecutionRole).
 */
export class LinkgapFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: LinkgapFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      // Logs are operational; the data (table, lake) is what the stack retains.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the linkgap ${id} function`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: repoPath(props.entry),
      handler: 'handler',
      description: props.description,
      runtime: LINKGAP_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: props.memorySize ?? 256,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      logGroup,
      role,
      ...(props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
      projectRoot: REPO_ROOT,
      depsLockFilePath: repoPath('package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Stack traces still map to file and line; the sources themselves stay out of the zip.
        sourcesContent: false,
        externalModules: NEVER_BUNDLED,
        forceDockerBundling: false,
      },
    });
  }
}
