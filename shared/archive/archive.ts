// The raw event archive port: whole objects by key in one bucket. S3 in AWS (s3.ts), s3rver on a laptop and in the
// tests, the same adapter for both. Domain code asks only this of S3.

export interface ObjectArchive {
  /** Writes (or replaces) the object: a retry writes the same key again. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keys starting with `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  /** Requests and bytes since the archive was created, for the cost model. */
  usage(): ArchiveUsage;
}

export interface ArchiveUsage {
  puts: number;
  gets: number;
  lists: number;
  bytesPut: number;
  bytesGot: number;
}

export class ArchiveError extends Error {
  override name = 'ArchiveError';
}
