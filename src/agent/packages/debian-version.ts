// Debian version strings ([epoch:]upstream[-revision]), compared as dpkg compares them (Debian
// Policy 5.6.12), so the agent can pick the newest candidate without running dpkg once per pair.

export interface DebianVersion { epoch: number; upstream: string; revision: string }

export function parseDebianVersion(version: string): DebianVersion {
  const epochMatch = /^(\d+):/.exec(version);
  const epoch = epochMatch ? Number(epochMatch[1]) : 0;
  const rest = epochMatch ? version.slice(epochMatch[0].length) : version;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: '' };
}

/** The upstream part: the version without its epoch ("N:") and its Debian revision ("-..."). */
export const upstreamVersion = (version: string): string => parseDebianVersion(version).upstream;

const isDigit = (c: string) => c >= '0' && c <= '9';

// dpkg's ordering of non-digit characters: "~" before everything, even the end of the string;
// then the end; then letters; then everything else.
function order(c: string): number {
  if (c === '') return 0;
  if (isDigit(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function compareParts(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const difference = order(a[i] ?? '') - order(b[j] ?? '');
      if (difference !== 0) return difference;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDifference = 0;
    while (i < a.length && j < b.length && isDigit(a[i]) && isDigit(b[j])) {
      if (firstDifference === 0) firstDifference = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a[i])) return 1;
    if (j < b.length && isDigit(b[j])) return -1;
    if (firstDifference !== 0) return firstDifference;
  }
  return 0;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`, like `dpkg --compare-versions`. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return compareParts(x.upstream, y.upstream) || compareParts(x.revision, y.revision);
}
