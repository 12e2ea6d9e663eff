import { TexSynthError } from "../errors.ts";

/**
 * Random access to the bytes of a weights file, so parsers can walk a 550 MB
 * checkpoint without holding it in memory. The file edge (`load.ts`) backs it
 * with a file handle; tests and in-memory callers use {@link memorySource}.
 */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; rejects with a TexSynthError when the range passes the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * A {@link ByteSource} over bytes already in memory (views, no copies). A read
 * past the end is a TexSynthError naming `what`, as for a file: readers check
 * their ranges first, so reaching this means the data is truncated or corrupt.
 */
export function memorySource(bytes: Uint8Array, what = "weights data"): ByteSource {
  return {
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      if (!inRange(offset, length, bytes.length)) {
        return Promise.reject(
          new TexSynthError(
            `${what} is truncated or corrupt: a read of ${length} bytes at ${offset} passes its end (${bytes.length} bytes); re-download it`,
          ),
        );
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}

/** Whether `[offset, offset + length)` is a valid range of a `size`-byte source. */
export function inRange(offset: number, length: number, size: number): boolean {
  return Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 &&
    length >= 0 && offset + length <= size;
}
