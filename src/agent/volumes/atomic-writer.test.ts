import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeVolume, type VolumeFile } from './atomic-writer.ts';

const file = (text: string): VolumeFile => ({ data: Buffer.from(text), mode: 0o644 });

test('item paths are cleaned as a kubelet cleans them: "./x" is x, and the volume itself stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-volume-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const volume = join(dir, 'v');
  await writeVolume(volume, new Map([['./x', file('one')], ['a//b/', file('two')]]));
  assert.equal(readFileSync(join(volume, 'x'), 'utf8'), 'one');
  assert.equal(readFileSync(join(volume, 'a', 'b'), 'utf8'), 'two');
  await writeVolume(volume, new Map([['./x', file('changed')]]));
  assert.ok(existsSync(volume), 'the volume directory is still there');
  assert.equal(readFileSync(join(volume, 'x'), 'utf8'), 'changed');
  assert.deepEqual(readdirSync(volume).filter((e) => !e.startsWith('..')), ['x']);
  for (const [paths, message] of [
    [['.'], /names no file/],
    [['./'], /names no file/],
    [['x', './x'], /name "x" twice/],
    [['a/../..'], /must not contain/],
    [['a', 'a/b'], /is also the directory of "a\/b"/],
  ] as const) {
    await assert.rejects(writeVolume(volume, new Map(paths.map((p) => [p, file('z')]))), (err: Error) => message.test(err.message), paths.join(' '));
  }
  assert.equal(readFileSync(join(volume, 'x'), 'utf8'), 'changed', 'a refused update touches nothing');
});
