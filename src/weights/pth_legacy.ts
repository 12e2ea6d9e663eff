import { TexSynthError } from "../errors.ts";
import type { ByteSource } from "./byte_source.ts";
import { brief, printable } from "./describe.ts";
import { readTensor, stateDictTensors, type StorageRef, unpickleAt } from "./pickle.ts";
import type { TensorData } from "./tensor.ts";

/** torch.save's legacy magic number, the first pickle of every pre-1.6 checkpoint. */
const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/**
 * Reads the tensors `keep` accepts from a legacy (pre-1.6, and PyTorch 0.1.x
 * under Python 2) torch.save stream: five pickles — magic number, protocol,
 * system info, the state dict, the sorted storage keys — then each storage as
 * an 8-byte element count and its raw bytes. Storage offsets come from the
 * counts, so only the kept tensors' bytes are read; the classifier's
 * ~470 MB is skipped, never loaded.
 */
export async function readPthLegacy(
  source: ByteSource,
  keep: (name: string) => boolean,
  what: string,
): Promise<Map<string, TensorData>> {
  const bad = (why: string): TexSynthError =>
    new TexSynthError(`${what} is not a torch.save checkpoint this tool reads: ${why}`);
  const magic = await unpickleAt(source, 0, what);
  if (magic.value !== MAGIC) {
    throw bad("wrong magic number (re-download it, or re-save it with torch.save)");
  }
  const protocol = await unpickleAt(source, magic.end, what);
  if (protocol.value !== PROTOCOL_VERSION) {
    throw bad(`protocol ${brief(protocol.value)}, not 1001 (re-save it with torch.save)`);
  }
  const sysInfo = await unpickleAt(source, protocol.end, what);
  if (!(sysInfo.value instanceof Map) || sysInfo.value.get("little_endian") !== true) {
    throw bad("saved on a big-endian machine; re-save it on x86 or ARM");
  }
  const state = await unpickleAt(source, sysInfo.end, what);
  const keys = await unpickleAt(source, state.end, what);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) {
    throw bad("the storage key list is missing (corrupt file: re-download it)");
  }
  const tensors = stateDictTensors(state.value, what);
  const roots = _roots(state.storages, what);
  const offsets = await _storageOffsets(source, keys.end, keys.value as string[], roots, what);
  const out = new Map<string, TensorData>();
  for (const [name, ref] of tensors) {
    if (!keep(name)) continue;
    const tensor = await readTensor(
      ref,
      (key, offset, length) => {
        const at = offsets.get(key);
        if (at === undefined) {
          throw bad(
            `storage ${printable(key)} is not in the key list (corrupt file: re-download it)`,
          );
        }
        return source.read(at + offset, length);
      },
      name,
      what,
    );
    out.set(name, tensor);
  }
  return out;
}

/** Root storages by key, checking every reference agrees on type and size. */
function _roots(storages: Iterable<StorageRef>, what: string): Map<string, StorageRef> {
  const roots = new Map<string, StorageRef>();
  for (const s of storages) {
    const seen = roots.get(s.key);
    if (seen && (seen.numel !== s.numel || seen.elementBytes !== s.elementBytes)) {
      throw new TexSynthError(
        `${what}: storage ${printable(s.key)} is described two ways (corrupt file: re-download it)`,
      );
    }
    roots.set(s.key, s);
  }
  return roots;
}

/**
 * Walks the storage section: for each key in order, an int64 element count
 * (checked against the pickle) and the data. Returns where each storage's
 * data starts; fails if the file is truncated or has bytes after the last one.
 */
async function _storageOffsets(
  source: ByteSource,
  start: number,
  keys: string[],
  roots: Map<string, StorageRef>,
  what: string,
): Promise<Map<string, number>> {
  const offsets = new Map<string, number>();
  let at = start;
  for (const key of keys) {
    const root = roots.get(key);
    const label = printable(key);
    if (!root) {
      throw new TexSynthError(
        `${what}: storage ${label} has no tensor, so its size is unknown (corrupt file: re-download it)`,
      );
    }
    if (at + 8 > source.size) {
      throw new TexSynthError(
        `${what} is truncated (storage ${label} is missing); re-download it`,
      );
    }
    const head = await source.read(at, 8);
    const hv = new DataView(head.buffer, head.byteOffset, 8);
    const count = hv.getUint32(0, true) + hv.getUint32(4, true) * 2 ** 32;
    if (count !== root.numel) {
      throw new TexSynthError(
        `${what}: storage ${label} holds ${count} elements, its pickle says ${root.numel} (corrupt file: re-download it)`,
      );
    }
    offsets.set(key, at + 8);
    at += 8 + count * root.elementBytes;
  }
  if (at > source.size) {
    throw new TexSynthError(
      `${what} is truncated (${at - source.size} bytes missing); re-download it`,
    );
  }
  if (at < source.size) {
    throw new TexSynthError(
      `${what} has ${
        source.size - at
      } unexpected bytes after its last storage (corrupt file: re-download it)`,
    );
  }
  return offsets;
}
