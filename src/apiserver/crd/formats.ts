// The `format` values Kubernetes validates in custom resources, and which ones it ignores.
// Strings support the go-openapi format registry Kubernetes enables (date-time, uuid, ipv4, ...);
// integers int32/int64 and numbers float/double; any other format is dropped before validation.
import { isIPv6 } from 'node:net';
import { isDns1123Label, isDns1123Subdomain } from '../validation/names.ts';

type FormatCheck = (value: string) => boolean;

const IPV4_PART = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|0?[0-9]?[0-9]|00[0-9])';
/** Go's sloppy IPv4 parser: four decimal parts up to 255, leading zeros allowed. */
const ipv4Re = new RegExp(`^${IPV4_PART}(\\.${IPV4_PART}){3}$`);

const isIp = (s: string) => ipv4Re.test(s) || (isIPv6(s) && !s.includes('%'));

function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return false;
  if (ipv4Re.test(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && !ip.includes('%') && Number(bits) <= 128;
}

/** time.Parse("2006-01-02"): a real calendar date with a four-digit year. */
function isDate(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** RFC 3339 date-time as go-openapi checks it: date, 'T', time with fraction and zone. */
function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0])) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/.exec(parts[1]);
  return m !== null && m[1] <= '23' && m[2] <= '59' && m[3] <= '59';
}

const goDurationRe = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const durationUnits: string[][] = [['ns', 'nano'], ['us', 'µs', 'micro'], ['ms', 'milli'], ['s', 'sec'], ['m', 'min'], ['h', 'hr', 'hour'], ['d', 'day'], ['w', 'wk', 'week']];

/** Go's time.ParseDuration ("1h30m"), or the looser "<n> <unit>" form go-openapi also accepts. */
function isDuration(s: string): boolean {
  if (s === '0' || goDurationRe.test(s)) return true;
  for (const match of s.matchAll(/(\d+)\s*([A-Za-zµ]+)/g)) {
    const unit = match[2].toLowerCase();
    if (durationUnits.some((variants) => variants.some((v, i) => v === unit || (i === variants.length - 1 && unit.startsWith(v))))) return true;
  }
  return false;
}

const hostnameRe = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const isHostname = (s: string) => hostnameRe.test(s) && s.length <= 255 && s.split('.').every((p) => p.length <= 63);

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const addrSpec = `(${ATOM}(\\.${ATOM})*|"([^"\\\\]|\\\\.)*")@(${ATOM}(\\.${ATOM})*|\\[[^\\[\\]\\\\]*\\])`;
/** An address as net/mail.ParseAddress reads it: "local@domain", optionally as "Name <local@domain>". */
const emailRe = new RegExp(`^(${addrSpec}|[^<>]*<${addrSpec}>)$`);

/** url.ParseRequestURI: an absolute URI or an absolute path, without spaces. */
function isRequestUri(s: string): boolean {
  if (/[\s\x00-\x1f\x7f]/.test(s)) return false;
  if (s.startsWith('/')) return true;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

const isMac = (s: string) =>
  /^([0-9A-Fa-f]{2})([:-][0-9A-Fa-f]{2}){5}$|^([0-9A-Fa-f]{2})([:-][0-9A-Fa-f]{2}){7}$|^([0-9A-Fa-f]{2})([:-][0-9A-Fa-f]{2}){19}$/.test(s)
  && new Set(s.replace(/[0-9A-Fa-f]/g, '')).size <= 1
  || /^[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){2}$|^[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){3}$|^[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){9}$/.test(s);

function isIsbn10(s: string): boolean {
  const d = s.replace(/[\s-]/g, '');
  if (!/^([0-9]{9}X|[0-9]{10})$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (i + 1) * Number(d[i]);
  sum += d[9] === 'X' ? 100 : 10 * Number(d[9]);
  return sum % 11 === 0;
}

function isIsbn13(s: string): boolean {
  const d = s.replace(/[\s-]/g, '');
  if (!/^[0-9]{13}$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(d[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === Number(d[12]);
}

function isCreditCard(s: string): boolean {
  const d = s.replace(/[^0-9]/g, '');
  if (!/^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let digit = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

const RGB_PART = '(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])';
const rgbRe = new RegExp(`^rgb\\(\\s*${RGB_PART}\\s*,\\s*${RGB_PART}\\s*,\\s*${RGB_PART}\\s*\\)$`);

const stringFormats: Record<string, FormatCheck> = {
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  uri: isRequestUri,
  email: (s) => emailRe.test(s.trim()),
  hostname: isHostname,
  ipv4: (s) => isIp(s) && s.includes('.'),
  ipv6: (s) => isIp(s) && s.includes(':'),
  cidr: isCidr,
  mac: isMac,
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  isbn: (s) => isIsbn10(s) || isIsbn13(s),
  isbn10: isIsbn10,
  isbn13: isIsbn13,
  creditcard: isCreditCard,
  ssn: (s) => s.length === 11 && /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(s),
  hexcolor: (s) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  rgbcolor: (s) => rgbRe.test(s),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/.test(s),
  password: () => true,
  date: isDate,
  duration: isDuration,
  datetime: isDateTime,
  k8sshortname: (s) => isDns1123Label(s).length === 0,
  k8slongname: (s) => isDns1123Subdomain(s).length === 0,
};

/** go-openapi looks formats up with dashes removed ("date-time" is "datetime"). */
const normalize = (format: string) => format.replaceAll('-', '');

/**
 * The format Kubernetes keeps for validation, or undefined when it drops it: string (or
 * untyped) schemas keep the registry's string formats, integers int32/int64, numbers float/double.
 */
export function effectiveFormat(type: string | undefined, format: string | undefined): string | undefined {
  if (!format) return undefined;
  switch (type ?? '') {
    case '':
    case 'string': return normalize(format) in stringFormats ? format : undefined;
    case 'integer': return format === 'int32' || format === 'int64' ? format : undefined;
    case 'number': return format === 'float' || format === 'double' ? format : undefined;
    default: return undefined;
  }
}

/** True when `format` names a string format Kubernetes validates. */
export function isStringFormat(format: string): boolean {
  return normalize(format) in stringFormats;
}

export function matchesStringFormat(format: string, value: string): boolean {
  return stringFormats[normalize(format)]?.(value) ?? true;
}
