// Parsing of systemd's answers; the runtime itself is tested against a real systemd in test/agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJournalEntry, terminationFromUnit } from './systemd.ts';

const times = { ExecMainStartTimestamp: 'Wed 2025-01-01 10:00:00.250000 UTC', ExecMainExitTimestamp: 'Wed 2025-01-01 10:00:05.500000 UTC' };

test('exit statuses, signals, OOM kills and start failures map to Kubernetes terminations', () => {
  assert.deepEqual(terminationFromUnit({ ...times, ExecMainCode: '1', ExecMainStatus: '0', Result: 'success' }), {
    exitCode: 0, reason: 'Completed', startedAt: new Date('2025-01-01T10:00:00.250Z'), finishedAt: new Date('2025-01-01T10:00:05.500Z'),
  });
  assert.equal(terminationFromUnit({ ...times, ExecMainCode: '1', ExecMainStatus: '3', Result: 'exit-code' }).reason, 'Error');
  const killed = terminationFromUnit({ ...times, ExecMainCode: '2', ExecMainStatus: '9', Result: 'signal' });
  assert.equal(killed.exitCode, 137);
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(terminationFromUnit({ ...times, ExecMainCode: '2', ExecMainStatus: '9', Result: 'oom-kill' }).reason, 'OOMKilled');
  const cannotStart = terminationFromUnit({ ...times, ExecMainCode: '1', ExecMainStatus: '203', Result: 'exit-code' });
  assert.equal(cannotStart.reason, 'StartError');
  assert.equal(cannotStart.exitCode, 128);
  assert.match(cannotStart.message!, /could not be executed/);
});

test('journal entries: text, bytes that are not UTF-8, and junk', () => {
  const entry = parseJournalEntry('{"__REALTIME_TIMESTAMP":"1735725600123456","MESSAGE":"hello"}');
  assert.deepEqual(entry, { time: new Date(1735725600123), micros: 123456, message: 'hello' });
  assert.equal(parseJournalEntry('{"__REALTIME_TIMESTAMP":"1","MESSAGE":[104,105]}')?.message, 'hi');
  assert.equal(parseJournalEntry('not json'), undefined);
});
