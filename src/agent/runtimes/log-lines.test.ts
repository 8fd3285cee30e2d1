import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CriLineJoiner, formatCriLine, formatLogTimestamp, LineSplitter, parseCriLine } from './log-lines.ts';

test('timestamps are RFC 3339 with microseconds', () => {
  const time = new Date('2025-03-04T05:06:07.089Z');
  assert.equal(formatLogTimestamp(time), '2025-03-04T05:06:07.089000Z');
  assert.equal(formatLogTimestamp(time, 89123), '2025-03-04T05:06:07.089123Z');
});

test('CRI lines round-trip, including spaces and an empty text', () => {
  const time = new Date('2025-03-04T05:06:07.089Z');
  for (const text of ['hello world', '', '  leading']) {
    const line = formatCriLine(time, 'stderr', text, false);
    assert.deepEqual(parseCriLine(line.slice(0, -1)), { timestamp: '2025-03-04T05:06:07.089000Z', time, stream: 'stderr', partial: false, text });
  }
  assert.equal(parseCriLine('garbage'), undefined);
});

test('the splitter yields whole lines and cuts over-long ones into parts on character boundaries', () => {
  const splitter = new LineSplitter(8);
  assert.deepEqual(splitter.push(Buffer.from('ab\ncd')), [{ text: 'ab', partial: false }]);
  assert.deepEqual(splitter.push(Buffer.from('e\n')), [{ text: 'cde', partial: false }]);
  const parts = splitter.push(Buffer.from('1234567ü89\n'));
  assert.deepEqual(parts, [{ text: '1234567', partial: true }, { text: 'ü89', partial: false }]);
  assert.deepEqual(splitter.push(Buffer.from('tail')), []);
  assert.deepEqual(splitter.end(), [{ text: 'tail', partial: false }]);
});

test('the joiner puts parts back together per stream', () => {
  const joiner = new CriLineJoiner();
  const at = (text: string, stream: 'stdout' | 'stderr', partial: boolean) => parseCriLine(formatCriLine(new Date(0), stream, text, partial).trimEnd())!;
  assert.equal(joiner.push(at('abc', 'stdout', true)), undefined);
  assert.equal(joiner.push(at('err', 'stderr', false))?.text, 'err');
  assert.equal(joiner.push(at('def', 'stdout', false))?.text, 'abcdef');
  joiner.push(at('unfinished', 'stdout', true));
  assert.deepEqual(joiner.flush().map((l) => l.text), ['unfinished']);
});
