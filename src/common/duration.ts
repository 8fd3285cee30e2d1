// Durations written as Go's time.ParseDuration reads them (kubectl, Kubernetes' flags and its
// `timeout` query parameter do too): an optional sign, then numbers with units, e.g. 30s, 10m,
// 1h30m, 1.5h, 250ms, 100us; "0" alone needs no unit.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;

/** Milliseconds in `text` (negative when it starts with "-"), or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (/^[-+]?0$/.test(text)) return 0;
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(value) * UNIT_MS[unit];
  return text.startsWith('-') ? -total : total;
}
