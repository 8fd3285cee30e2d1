// Durations written as Go's time.ParseDuration reads them (kubectl and Kubernetes' flags do too):
// a sequence of numbers with units, e.g. 30s, 10m, 24h, 1h30m, 8760h.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `text`, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, value, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) total += Number(value) * UNIT_MS[unit];
  return total;
}
