/** A key part (campaign id, run date, run id, page number) that cannot be placed in a lake key. */
export class LakeKeyError extends Error {
  override readonly name = 'LakeKeyError';
}

/** Rows or a manifest that do not fit the lake contract; nothing was written. */
export class LakeEncodeError extends Error {
  override readonly name = 'LakeEncodeError';
}

/** Bytes read from the lake (Parquet, manifest, checkpoint, ledger) that do not decode to the expected shape. */
export class LakeDecodeError extends Error {
  override readonly name = 'LakeDecodeError';
}
