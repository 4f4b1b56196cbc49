import { DTYPE_BYTES, decodeToFloat32 } from './float-conversion.js';
import type { StorageDtype } from './float-conversion.js';
import { unpickle } from './pickle.js';
import type { PickleGlobal } from './pickle.js';
import { ZipArchive } from './zip-archive.js';

/** One tensor of a state dict, widened to float32, row-major (contiguous) whatever its strides were. */
export interface FloatTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** The dtype it was saved in. */
  readonly savedAs: StorageDtype;
}

const STORAGE_TYPES: Readonly<Record<string, StorageDtype>> = {
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
};

const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_TYPES).map((name) => `torch.${name}`),
]);

interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: StorageDtype;
  readonly numel: number;
}

interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

/**
 * Reads a state dict written by `torch.save(module.state_dict(), path)` in PyTorch's zip format
 * (torch >= 1.6): `<archive>/data.pkl` (the pickle), `<archive>/data/<key>` (raw storages),
 * `<archive>/byteorder`. No Python, no torch: the pickle is interpreted by a restricted reader that
 * knows only the globals a state dict of float tensors needs. Throws plain Errors; the caller names
 * the file.
 */
export function readTorchStateDict(fileBytes: Uint8Array): Map<string, FloatTensor> {
  if (
    fileBytes.length >= 2 &&
    fileBytes[0] === 0x80 &&
    fileBytes[1] !== undefined &&
    fileBytes[1] <= 5
  ) {
    throw new Error(
      'legacy (pre-1.6, non-zip) torch.save format is not supported: re-save it with torch >= 1.6',
    );
  }
  const archive = new ZipArchive(fileBytes);
  const pickleName = [...archive.entries.keys()].find(
    (name) => name === 'data.pkl' || name.endsWith('/data.pkl'),
  );
  if (!pickleName) throw new Error('no data.pkl member: not a torch.save file');
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteorderName = `${prefix}byteorder`;
  const littleEndian = archive.entries.has(byteorderName)
    ? new TextDecoder().decode(archive.read(byteorderName)).trim() !== 'big'
    : true;

  const root = unpickle(archive.read(pickleName), {
    allowGlobal: (module, name) => ALLOWED_GLOBALS.has(`${module}.${name}`),
    persistentLoad: (id) => storageRef(id),
    call: (callable, args) => callGlobal(callable, args),
  });
  if (!(root instanceof Map)) throw new Error('data.pkl does not hold a dict');

  const storages = new Map<string, Uint8Array>();
  const tensors = new Map<string, FloatTensor>();
  for (const [key, value] of root) {
    if (typeof key !== 'string') throw new Error('state dict key is not a string');
    if (!isTensorRef(value)) throw new Error(`state dict entry ${key} is not a tensor`);
    const { storage } = value;
    let raw = storages.get(storage.key);
    if (!raw) {
      raw = archive.read(`${prefix}data/${storage.key}`);
      storages.set(storage.key, raw);
    }
    const elementBytes = DTYPE_BYTES[storage.dtype];
    if (raw.length < storage.numel * elementBytes) {
      throw new Error(
        `storage ${storage.key} holds ${raw.length} bytes, expected ${storage.numel * elementBytes}`,
      );
    }
    const all = decodeToFloat32(raw, storage.dtype, storage.numel, littleEndian);
    tensors.set(key, { shape: value.shape, data: gather(all, value, key), savedAs: storage.dtype });
  }
  return tensors;
}

function storageRef(id: unknown): StorageRef {
  // torch's persistent id for a storage: ('storage', <StorageType>, key, location, numel)
  if (!Array.isArray(id) || id.length < 5 || id[0] !== 'storage')
    throw new Error('unexpected persistent id');
  const [, type, key, , numel] = id as unknown[];
  const dtype = isGlobal(type) ? STORAGE_TYPES[type.name] : undefined;
  if (!dtype) throw new Error('unsupported storage type');
  if (typeof key !== 'string' || !/^\w+$/.test(key)) throw new Error('bad storage key');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
    throw new Error('bad storage size');
  return { kind: 'storage', key, dtype, numel };
}

function callGlobal(callable: PickleGlobal, args: readonly unknown[]): unknown {
  const name = `${callable.module}.${callable.name}`;
  if (name === 'collections.OrderedDict') {
    if (args.length !== 0) throw new Error('OrderedDict with arguments');
    return new Map();
  }
  if (name === 'torch._utils._rebuild_tensor_v2') {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const [storage, offset, shape, stride] = args;
    if (
      !isStorageRef(storage) ||
      typeof offset !== 'number' ||
      !isIntTuple(shape) ||
      !isIntTuple(stride)
    ) {
      throw new Error('bad _rebuild_tensor_v2 arguments');
    }
    if (shape.length !== stride.length) throw new Error('tensor size and stride differ in rank');
    return { kind: 'tensor', storage, offset, shape, stride } satisfies TensorRef;
  }
  if (name === 'torch._utils._rebuild_parameter') {
    const [data] = args;
    if (!isTensorRef(data)) throw new Error('bad _rebuild_parameter arguments');
    return data;
  }
  throw new Error(`call to ${name} is not allowed`);
}

/** Copies a (possibly strided) view of a storage into a contiguous row-major array. */
function gather(storage: Float32Array, tensor: TensorRef, key: string): Float32Array {
  const { shape, stride, offset } = tensor;
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  if (count === 0) return out;
  let last = offset;
  shape.forEach((size, axis) => {
    last += (size - 1) * stride[axis]!;
  });
  if (offset < 0 || last >= storage.length)
    throw new Error(`tensor ${key} reaches past its storage`);
  const contiguous = stride.every(
    (s, axis) => s === shape.slice(axis + 1).reduce((a, b) => a * b, 1),
  );
  if (contiguous) {
    out.set(storage.subarray(offset, offset + count));
    return out;
  }
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = offset;
    for (let axis = 0; axis < shape.length; axis++) at += index[axis]! * stride[axis]!;
    out[i] = storage[at]!;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++index[axis]! < shape[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}

function isGlobal(value: unknown): value is PickleGlobal {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'global'
  );
}

function isStorageRef(value: unknown): value is StorageRef {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'storage'
  );
}

function isTensorRef(value: unknown): value is TensorRef {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'tensor'
  );
}

function isIntTuple(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => Number.isSafeInteger(item) && item >= 0);
}
