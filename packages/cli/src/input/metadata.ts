import { FIELD_NAME_PATTERN, type Metadata, type MetadataValue } from '@m3kit/core';

/**
 * Turns a record's extra fields into metadata m3kit can store and filter on: strings, finite
 * numbers, booleans, null and arrays of strings. A nested `metadata` object is merged in. A field
 * with another kind of value, or a name the backends cannot all take, is dropped and named in
 * `dropped`, so the document is still ingested and the loss is reported.
 */
export function toMetadata(
  fields: Readonly<Record<string, unknown>>,
  skip: ReadonlySet<string>,
): { metadata: Metadata; dropped: string[] } {
  const metadata: Record<string, MetadataValue> = {};
  const dropped: string[] = [];
  const add = (name: string, value: unknown): void => {
    if (!FIELD_NAME_PATTERN.test(name)) {
      dropped.push(`field ${JSON.stringify(name)} (names must match ${FIELD_NAME_PATTERN.source})`);
      return;
    }
    const converted = metadataValue(value);
    if (converted === undefined) {
      dropped.push(
        `field "${name}" (values must be strings, numbers, booleans, null or arrays of strings)`,
      );
      return;
    }
    metadata[name] = converted;
  };
  for (const [name, value] of Object.entries(fields)) {
    if (skip.has(name)) continue;
    if (name === 'metadata' && isPlainObject(value)) {
      for (const [inner, innerValue] of Object.entries(value)) add(inner, innerValue);
      continue;
    }
    add(name, value);
  }
  return { metadata, dropped };
}

function metadataValue(value: unknown): MetadataValue | undefined {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return value.isWellFormed() ? value : undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v.isWellFormed()))
    return value as string[];
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const CSV_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A CSV cell as a metadata value: numbers read as numbers (so `year>=2020` filters work), `true`
 * and `false` as booleans, everything else (including `007`, kept as written) as a string; an
 * empty cell is left out.
 */
export function csvValue(cell: string): MetadataValue | undefined {
  if (cell === '') return undefined;
  if (CSV_NUMBER.test(cell)) {
    const number = Number(cell);
    if (Number.isFinite(number)) return number;
  }
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  return cell;
}

/**
 * Markdown front matter (`---` lines at the top) as metadata: `key: value` lines with scalar
 * values or `[a, b]` lists. Anything richer is left in the text untouched.
 */
export function splitFrontMatter(text: string): { body: string; fields: Record<string, unknown> } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!match) return { body: text, fields: {} };
  const fields: Record<string, unknown> = {};
  for (const line of match[1]!.split(/\r?\n/)) {
    const pair = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$/.exec(line);
    if (!pair) {
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      return { body: text, fields: {} }; // not the simple form: keep the text as it is
    }
    const raw = pair[2]!.trim();
    const list = /^\[(.*)\]$/.exec(raw);
    fields[pair[1]!] = list
      ? list[1]!
          .split(',')
          .map((item) => unquote(item.trim()))
          .filter((item) => item !== '')
      : raw === ''
        ? null
        : /^["']/.test(raw)
          ? unquote(raw)
          : (csvValue(raw) ?? raw);
  }
  return { body: text.slice(match[0].length), fields };
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** The first `# heading` of a Markdown text, if any. */
export function markdownTitle(text: string): string | undefined {
  return /^#\s+(.+?)\s*#*\s*$/m.exec(text)?.[1];
}
