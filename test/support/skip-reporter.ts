// A node:test reporter that fails a CI run (CI=true) with a skipped or todo test, unless it was
// skipped for one of the machine limits in machine-limits.ts. Outside CI it only lists the skips.
// scripts/test.sh runs it beside the spec reporter.
import { isMachineLimit } from './machine-limits.ts';

interface TestEvent {
  type: string;
  data: { name?: string; file?: string; skip?: string | boolean; todo?: string | boolean };
}

export default async function* skipReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const skipped: { name: string; file: string; reason: string; allowed: boolean }[] = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name = '', file = '', skip, todo } = event.data;
    if (skip === undefined && todo === undefined) continue;
    const reason = typeof skip === 'string' ? skip : typeof todo === 'string' ? `todo: ${todo}` : skip !== undefined ? 'skipped without a reason' : 'todo';
    skipped.push({ name, file, reason, allowed: todo === undefined && isMachineLimit(skip) });
  }
  if (skipped.length === 0) return;
  const ci = process.env.CI === 'true';
  const refused = skipped.filter((s) => !s.allowed);
  yield `[granary test] ${skipped.length} skipped: ${skipped.map((s) => `${s.name} (${s.file}: ${s.reason})`).join('; ')}\n`;
  if (ci && refused.length > 0) {
    yield `[granary test] CI=true: ${refused.length} test(s) skipped for something this machine could have (see test/support/machine-limits.ts):\n`;
    for (const s of refused) yield `  - ${s.name} — ${s.reason} (${s.file})\n`;
    process.exitCode = 1;
  }
}
