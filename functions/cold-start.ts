/** Builds a value on first use and keeps it for the life of the container (one cold start). */
export function once<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}
