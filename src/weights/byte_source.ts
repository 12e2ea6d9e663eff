/**
 * Random access to the bytes of a weights file, so parsers can walk a 550 MB
 * checkpoint without holding it in memory. The file edge (`load.ts`) backs it
 * with a file handle; tests and in-memory callers use {@link memorySource}.
 */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; rejects when the range passes the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A {@link ByteSource} over bytes already in memory (views, no copies). */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > bytes.length) {
        return Promise.reject(
          new RangeError(`read of ${length} bytes at ${offset} passes the end (${bytes.length})`),
        );
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}
