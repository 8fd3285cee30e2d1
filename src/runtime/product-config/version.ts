// Product versions as the property catalogue compares them: dotted numbers, compared part by
// part numerically ("3.10.0" is after "3.9.2"); missing parts count as 0 ("3.9" equals "3.9.0").
// A suffix after '-' or '+' ("3.9.2-granary.1") names a build of that version and is ignored.

const VERSION = /^v?(\d+(?:\.\d+)*)(?:[-+].*)?$/;

/** The numeric parts of `version`, or undefined when it is not a dotted version. */
export function parseVersion(version: string): number[] | undefined {
  const match = VERSION.exec(version.trim());
  return match ? match[1].split('.').map(Number) : undefined;
}

/** Negative, zero or positive as `a` is before, the same as, or after `b`. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * True when `version` lies in [from, to): `from` included, `to` excluded, so ranges like
 * [3.5, 3.6) and [3.6, ...) meet without overlap. An absent bound is open.
 */
export function versionInRange(version: readonly number[], from: readonly number[] | undefined, to: readonly number[] | undefined): boolean {
  return (from === undefined || compareVersions(version, from) >= 0) && (to === undefined || compareVersions(version, to) < 0);
}
