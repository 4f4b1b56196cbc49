/**
 * The subset of Python's pickle machine (protocols 2 to 4) that `torch.save` uses for a state
 * dict. Nothing is imported or executed: every global must be one the caller allows, and calls
 * (REDUCE) are answered by the caller's `call`, so a hostile file can only fail to load.
 */

/** A global named by a GLOBAL or STACK_GLOBAL opcode, to be called by REDUCE. */
export interface PickleGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

/** What the state-dict reader answers for globals, calls and persistent ids. */
export interface PickleHooks {
  /** Whether `module.name` may be used at all. */
  allowGlobal(module: string, name: string): boolean;
  /** REDUCE: call an allowed global with its argument tuple. */
  call(callable: PickleGlobal, args: readonly unknown[]): unknown;
  /** BINPERSID: resolve a persistent id (torch: a storage reference tuple). */
  persistentLoad(id: unknown): unknown;
}

export class PickleFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleFormatError';
  }
}

/** Marks where MARK pushed, on the stack itself, as pickle does. */
const MARK = Symbol('mark');

/** Runs the pickle program in `bytes` and returns the object it builds. */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8');
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let offset = 0;

  const need = (count: number): void => {
    if (offset + count > bytes.length) throw new PickleFormatError('truncated pickle');
  };
  // Checks `size` bytes are left, steps past them and returns where they start.
  const take = (size: number): number => {
    need(size);
    offset += size;
    return offset - size;
  };
  const u8 = (): number => bytes[take(1)]!;
  const u16 = (): number => view.getUint16(take(2), true);
  const u32 = (): number => view.getUint32(take(4), true);
  const i32 = (): number => view.getInt32(take(4), true);
  const u64 = (): number => {
    need(8);
    const value = view.getBigUint64(offset, true);
    offset += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleFormatError('length out of range');
    return Number(value);
  };
  const raw = (length: number): Uint8Array => {
    need(length);
    offset += length;
    return bytes.subarray(offset - length, offset);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, offset);
    if (end < 0) throw new PickleFormatError('truncated pickle (line)');
    const text = decoder.decode(bytes.subarray(offset, end));
    offset = end + 1;
    return text;
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new PickleFormatError('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleFormatError('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new PickleFormatError('MARK missing');
    const items = stack.splice(at + 1);
    stack.pop();
    return items;
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) throw new PickleFormatError(`memo ${index} missing`);
    return memo.get(index);
  };
  const global = (module: string, name: string): PickleGlobal => {
    if (!hooks.allowGlobal(module, name))
      throw new PickleFormatError(`global ${module}.${name} is not allowed`);
    return { kind: 'global', module, name };
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) throw new PickleFormatError('SETITEM(S) on a non-dict');
    if (items.length % 2 !== 0) throw new PickleFormatError('odd number of dict items');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) throw new PickleFormatError('APPEND(S) on a non-list');
    target.push(...items);
  };

  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleFormatError('pickle protocol above 5');
        break;
      case 0x95: // FRAME: framing is transparent
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1)
          throw new PickleFormatError(`STOP with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const data = raw(u8());
        let value = 0n;
        for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]!);
        if (data.length > 0 && data[data.length - 1]! & 0x80)
          value -= 1n << BigInt(data.length * 8);
        stack.push(Number.isSafeInteger(Number(value)) ? Number(value) : value);
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        stack.push(view.getFloat64(offset, false));
        offset += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(decoder.decode(raw(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(decoder.decode(raw(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(decoder.decode(raw(u64())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(decoder.decode(raw(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(decoder.decode(raw(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(raw(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(raw(u32()));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const dict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x74: // TUPLE
        stack.push(Object.freeze(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        append(top(), [value]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleFormatError('bad STACK_GLOBAL');
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!isGlobal(callable) || !Array.isArray(args))
          throw new PickleFormatError('REDUCE needs a global and a tuple');
        stack.push(hooks.call(callable, args));
        break;
      }
      case 0x62: {
        // BUILD: torch sets `_metadata` on the state dict; keep the object as it is
        pop();
        top();
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        throw new PickleFormatError(
          `unsupported pickle opcode 0x${opcode.toString(16)} at byte ${offset - 1}`,
        );
    }
  }
}

function isGlobal(value: unknown): value is PickleGlobal {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'global'
  );
}
