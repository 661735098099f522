/**
 * Settings of the runner function's Node process that are not code: kept apart from the constructs
 * (no aws-cdk-lib import) so that bench/scale.ts runs its pipeline worker with the very same ones.
 */

/**
 * glibc's malloc for the runner (GLIBC_TUNABLES, read by glibc at process start; Lambda's Node.js
 * runtimes run on Amazon Linux 2023's glibc). A run allocates and frees many buffers above 128 KB
 * (gzip and Parquet chunks, column arrays). By default glibc raises its mmap threshold after the first
 * such free, so later ones come from the process's heap and arenas, whose free space is seldom given
 * back: RSS keeps ≈ 40–60 MB it does not use. A fixed threshold keeps each big buffer in a mapping of
 * its own, unmapped when freed; at most two arenas (instead of eight per core) bound the free space the
 * thread pool's allocations (zlib, fs) leave behind. Measured at 1M prospects, month 2, heap capped at
 * 480 MB: peak RSS ≈ 40–55 MB lower (bench/README.md 3e).
 */
export const RUNNER_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=131072:glibc.malloc.arena_max=2';
