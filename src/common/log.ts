// Structured logs as JSON lines on stderr (pino), one child logger per component. Shared by every
// layer (like src/api, it depends on nothing of ours).
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function createLogger(component: string, level = process.env.GRANARY_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: false }));
}
