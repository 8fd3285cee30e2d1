// The value types of product properties: what a value must look like and, for durations and
// memory sizes, the conversion into the unit the product reads.

export type DatatypeName = 'integer' | 'float' | 'bool' | 'string' | 'duration' | 'memory' | 'port' | 'path' | 'enum';

export interface Datatype {
  type: DatatypeName;
  /**
   * Inclusive bounds for integer, float, port, duration and memory; for durations and memory
   * sizes in `unit` (milliseconds or bytes when there is none).
   */
  min?: number;
  max?: number;
  /**
   * duration: "ms" | "s" | "m" | "h" | "d"; memory: "B" | "Ki" | "Mi" | "Gi" | "Ti". Values are
   * converted to a whole number of this unit, written without a suffix ("30s" → "30000" for
   * "ms"); a bare number is taken to be in this unit. Without a unit values are kept as written.
   * For other types the unit only documents the value.
   */
  unit?: string;
  /** enum: the accepted values. */
  allowed?: string[];
}

export type Checked = { ok: true; value: string } | { ok: false; message: string };

export const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Binary sizes; the single letters are the JVM's (-Xmx512m): 1024-based like Ki, Mi, ... */
const MEMORY_SUFFIXES: Readonly<Record<string, number>> = {
  '': 1, B: 1, k: 1024, K: 1024, Ki: 1024, m: 1024 ** 2, M: 1024 ** 2, Mi: 1024 ** 2,
  g: 1024 ** 3, G: 1024 ** 3, Gi: 1024 ** 3, t: 1024 ** 4, T: 1024 ** 4, Ti: 1024 ** 4,
};
export const MEMORY_UNITS: Readonly<Record<string, number>> = { B: 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DURATION = /^(\d+(ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h|d)/g;
const MEMORY = /^(\d+)(B|Ki|Mi|Gi|Ti|[kKmMgGtT])?$/;

/** Checks `raw` against `datatype`; the value returned is what the product should be given. */
export function checkValue(datatype: Datatype, raw: string): Checked {
  switch (datatype.type) {
    case 'string':
      return { ok: true, value: raw };
    case 'bool':
      return raw === 'true' || raw === 'false' ? { ok: true, value: raw } : fail(`"${raw}" is not a boolean: use true or false`);
    case 'integer': {
      if (!INTEGER.test(raw) || !Number.isSafeInteger(Number(raw))) return fail(`"${raw}" is not a whole number`);
      return inBounds(datatype, Number(raw), raw, raw);
    }
    case 'float': {
      const n = Number(raw);
      if (!FLOAT.test(raw) || !Number.isFinite(n)) return fail(`"${raw}" is not a number`);
      return inBounds(datatype, n, raw, raw);
    }
    case 'port': {
      if (!INTEGER.test(raw)) return fail(`"${raw}" is not a port number`);
      const n = Number(raw);
      const min = Math.max(0, datatype.min ?? 1);
      const max = Math.min(65535, datatype.max ?? 65535);
      return n >= min && n <= max ? { ok: true, value: String(n) } : fail(`port ${raw} is outside ${min}..${max}`);
    }
    case 'duration':
      return checkQuantity(datatype, raw, parseDuration(raw, datatype.unit), 'a duration: use a whole number with an optional unit ms, s, m, h or d (e.g. 30s, 1h30m)');
    case 'memory':
      return checkQuantity(datatype, raw, parseMemory(raw, datatype.unit), 'a memory size: use a whole number with an optional unit B, Ki, Mi, Gi, Ti (or k, m, g, t as for Java)');
    case 'path':
      if (!raw.startsWith('/')) return fail(`"${raw}" is not an absolute path`);
      if (raw.split('/').includes('..')) return fail(`"${raw}" must not contain ".." segments`);
      return { ok: true, value: raw };
    case 'enum': {
      const allowed = datatype.allowed ?? [];
      return allowed.includes(raw) ? { ok: true, value: raw } : fail(`"${raw}" is not one of ${allowed.join(', ')}`);
    }
    default:
      return fail(`unknown datatype "${String((datatype as Datatype).type)}"`);
  }
}

/** Problems with a datatype definition itself (for catalogue authors). */
export function checkDatatype(datatype: Datatype): string[] {
  const problems: string[] = [];
  if (datatype.type === 'enum' && !(datatype.allowed && datatype.allowed.length > 0)) problems.push('enum needs a non-empty "allowed" list');
  if (datatype.type === 'duration' && datatype.unit !== undefined && !Object.hasOwn(DURATION_UNITS, datatype.unit)) {
    problems.push(`duration unit "${datatype.unit}" is not one of ${Object.keys(DURATION_UNITS).join(', ')}`);
  }
  if (datatype.type === 'memory' && datatype.unit !== undefined && !Object.hasOwn(MEMORY_UNITS, datatype.unit)) {
    problems.push(`memory unit "${datatype.unit}" is not one of ${Object.keys(MEMORY_UNITS).join(', ')}`);
  }
  if (datatype.min !== undefined && datatype.max !== undefined && datatype.min > datatype.max) problems.push(`min ${datatype.min} is above max ${datatype.max}`);
  return problems;
}

/** `raw` in milliseconds, or undefined when it is not a duration. */
function parseDuration(raw: string, unit: string | undefined): number | undefined {
  if (INTEGER.test(raw) && !raw.startsWith('-')) return Number(raw) * DURATION_UNITS[unit ?? 'ms'];
  if (!DURATION.test(raw)) return undefined;
  let total = 0;
  for (const [, amount, suffix] of raw.matchAll(DURATION_PART)) total += Number(amount) * DURATION_UNITS[suffix];
  return total;
}

/** `raw` in bytes, or undefined when it is not a memory size. */
function parseMemory(raw: string, unit: string | undefined): number | undefined {
  const match = MEMORY.exec(raw);
  if (!match) return undefined;
  const factor = match[2] === undefined ? MEMORY_UNITS[unit ?? 'B'] : MEMORY_SUFFIXES[match[2]];
  return Number(match[1]) * factor;
}

/** Bounds and unit conversion of a parsed duration (ms) or memory size (bytes). */
function checkQuantity(datatype: Datatype, raw: string, base: number | undefined, expected: string): Checked {
  if (base === undefined || !Number.isSafeInteger(base)) return fail(`"${raw}" is not ${expected}`);
  const perUnit = datatype.unit === undefined ? 1 : (datatype.type === 'duration' ? DURATION_UNITS : MEMORY_UNITS)[datatype.unit];
  const inUnit = base / perUnit;
  const unitName = datatype.unit ?? (datatype.type === 'duration' ? 'ms' : 'B');
  const bounded = inBounds(datatype, inUnit, raw, datatype.unit === undefined ? raw : String(inUnit), unitName);
  if (!bounded.ok) return bounded;
  if (!Number.isInteger(inUnit)) return fail(`"${raw}" is not a whole number of ${unitName}`);
  return bounded;
}

function inBounds(datatype: Datatype, n: number, raw: string, value: string, unit?: string): Checked {
  const suffix = unit ? ` ${unit}` : '';
  if (datatype.min !== undefined && n < datatype.min) return fail(`${raw} is below the minimum of ${datatype.min}${suffix}`);
  if (datatype.max !== undefined && n > datatype.max) return fail(`${raw} is above the maximum of ${datatype.max}${suffix}`);
  return { ok: true, value };
}

function fail(message: string): Checked {
  return { ok: false, message };
}
