// The alerts a stack's Prometheus has firing, as `granary status` and `granary up` show them: asked
// of Prometheus' HTTP API (/api/v1/alerts) with a timeout and a bounded answer, and made safe to
// print (label values come from whatever Prometheus scrapes).
import { request } from 'undici';
import { readBounded } from '../../common/bounded-body.ts';

export interface FiringAlert {
  name: string;
  severity?: string;
  /** When it became active (RFC 3339). */
  since?: string;
  summary?: string;
}

const MAX_ANSWER_BYTES = 1 << 20;
const TIMEOUT_MS = 3_000;
const MAX_TEXT = 200;

/** A string from the answer, without control characters (no terminal escapes), cut to a line's length. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}…` : clean;
}

export async function firingAlerts(prometheusUrl: string): Promise<FiringAlert[]> {
  const res = await request(new URL('/api/v1/alerts', prometheusUrl), {
    headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS, signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`Prometheus answered ${res.statusCode}`);
  }
  const answer = JSON.parse((await readBounded(res.body, MAX_ANSWER_BYTES)).toString('utf8')) as { data?: { alerts?: unknown } } | null;
  const alerts = answer?.data?.alerts;
  if (!Array.isArray(alerts)) throw new Error('Prometheus\' answer has no list of alerts');
  return (alerts as { state?: unknown; activeAt?: unknown; labels?: Record<string, unknown>; annotations?: Record<string, unknown> }[])
    .filter((a) => a?.state === 'firing')
    .map((a) => ({ name: text(a.labels?.alertname) ?? '(unnamed)', severity: text(a.labels?.severity), since: text(a.activeAt), summary: text(a.annotations?.summary) }));
}

const SHOWN = 10;

/** The lines `granary status` prints for a stack's alerts: how many fire, then each (at most ten). */
export function alertLines(alerts: readonly FiringAlert[]): string[] {
  if (alerts.length === 0) return ['  no alerts firing'];
  const lines = [`  ${alerts.length} alert${alerts.length === 1 ? '' : 's'} firing:`];
  for (const a of alerts.slice(0, SHOWN)) {
    lines.push(`    ${a.name}${a.severity ? ` (${a.severity})` : ''}${a.since ? ` since ${a.since}` : ''}${a.summary ? `: ${a.summary}` : ''}`);
  }
  if (alerts.length > SHOWN) lines.push(`    ... and ${alerts.length - SHOWN} more (see Prometheus' Alerts page)`);
  return lines;
}
