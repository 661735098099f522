import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createFileCampaignStore, createFileRunStore } from '#adapters/local/file-stores.ts';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { createFileReviewStore } from '#adapters/local/review-store.ts';
import { staticSecretSource } from '#adapters/local/static-secrets.ts';
import { announcingRateGate } from '#moz/announced-waits.ts';
import { createMozClient, type MozClient } from '#moz/client.ts';
import { mozConfigFromEnv, publicBaseUrl } from '#moz/config.ts';
import { createIntervalRateGate, type RateGate } from '#moz/rate-gate.ts';
import { ANNOUNCED_WAIT_MS, answerWait, type ProgressSink, retryWait } from '#pipeline/progress.ts';
import { silentLog } from '#shared/observability.ts';
import type { CampaignStore, Log, ObjectStore, ReviewStore, RunStore, SecretSource } from '#shared/ports.ts';
import { VERSION } from '#shared/version.ts';
import type { MozSimulator } from '#simulator/server.ts';

export interface LocalContext {
  home: string;
  lakeRoot: string;
  campaigns: CampaignStore;
  runs: RunStore;
  reviews: ReviewStore;
  lake: ObjectStore;
  secrets: SecretSource;
  moz: MozClient;
  mozBaseUrl: string;
  /** The embedded Moz simulator, when no credentials were configured. */
  simulator: MozSimulator | undefined;
  /** Milliseconds between Moz requests under the configured rate limit (0: none, the simulator). */
  spacingMs: number;
  softwareVersion: string;
  close(): Promise<void>;
}

export interface LocalContextOptions {
  env: Record<string, string | undefined>;
  log?: Log;
  /** Told about long rate-limit waits (the gate's spacing, a 429's Retry-After, a backoff). */
  progress?: ProgressSink;
  /** Seed of the embedded simulator's link graph. @default 'linkgap-demo' */
  simulatorSeed?: string;
}

/**
 * The embedded defaults: campaigns, runs and the lake under `LINKGAP_HOME` (default `./.linkgap`),
 * Moz credentials from `MOZ_TOKEN` or `MOZ_ACCESS_ID` + `MOZ_SECRET_KEY`, and, when none are set,
 * the bundled Moz simulator started in-process.
 */
export async function createLocalContext(options: LocalContextOptions): Promise<LocalContext> {
  const env = options.env;
  const home = resolve(env.LINKGAP_HOME || '.linkgap');
  const lakeRoot = join(home, 'lake');
  const mozConfig = mozConfigFromEnv(env);

  let simulator: MozSimulator | undefined;
  let secrets: SecretSource;
  let mozBaseUrl = mozConfig.baseUrl;
  if (mozConfig.credentials) {
    secrets = staticSecretSource(
      mozConfig.credentials,
      'the MOZ_TOKEN / MOZ_ACCESS_ID + MOZ_SECRET_KEY environment variables',
    );
  } else {
    if (env.MOZ_API_BASE_URL) {
      throw new Error(
        'MOZ_API_BASE_URL is set but no credentials are: set MOZ_TOKEN (or MOZ_ACCESS_ID and MOZ_SECRET_KEY)',
      );
    }
    const token = randomBytes(16).toString('hex');
    // Imported only when started: with real credentials the simulator is never loaded.
    const { startSimulator } = await import('#simulator/server.ts');
    simulator = await startSimulator({
      token,
      seed: options.simulatorSeed ?? env.LINKGAP_SIMULATOR_SEED ?? 'linkgap-demo',
    });
    mozBaseUrl = simulator.baseUrl;
    secrets = staticSecretSource({ kind: 'token', token }, 'the embedded Moz simulator');
  }

  // The embedded simulator has no rate limit; the real API gets the configured one (free tier: 1 per 10 s).
  const rateGate = simulator
    ? undefined
    : announcedGate(createIntervalRateGate(mozConfig.rateLimit), mozConfig.rateLimit, options.progress);
  const log = options.log ?? silentLog;
  const moz = createMozClient({
    baseUrl: mozBaseUrl,
    credentials: () => secrets.read(),
    refreshCredentials: () => secrets.refresh(),
    credentialSource: secrets.description,
    rateGate,
    timeoutMs: mozConfig.timeoutMs,
    maxAttempts: mozConfig.maxAttempts,
    // A request in flight past the announce threshold says so, like the rate and retry waits.
    slowAnswerNoticeMs: ANNOUNCED_WAIT_MS,
    log: (event) => {
      log[event.level](event.msg, event);
      const wait = retryWait(event) ?? answerWait(event);
      if (wait) options.progress?.(wait);
    },
  });

  return {
    home,
    lakeRoot,
    campaigns: createFileCampaignStore(home),
    runs: createFileRunStore(home),
    reviews: createFileReviewStore(home),
    lake: createFsObjectStore(lakeRoot),
    secrets,
    moz,
    mozBaseUrl: simulator ? 'embedded-simulator' : publicBaseUrl(mozBaseUrl),
    simulator,
    spacingMs: simulator ? 0 : mozConfig.rateLimit.intervalMs / mozConfig.rateLimit.requests,
    softwareVersion: VERSION,
    async close() {
      await moz.close();
      await simulator?.close();
    },
  };
}

/** The rate gate, announcing waits over 5 s to the progress sink (when there is one). */
function announcedGate(
  gate: RateGate,
  rate: { requests: number; intervalMs: number },
  progress: ProgressSink | undefined,
): RateGate {
  if (!progress) return gate;
  return announcingRateGate(gate, {
    ...rate,
    now: Date.now,
    thresholdMs: ANNOUNCED_WAIT_MS,
    onWait: (wait) => progress({ kind: 'wait', ...wait }),
  });
}
