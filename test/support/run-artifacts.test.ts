import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runArtifact } from './run-artifacts.ts';

test('an artifact is built once however many callers ask at once, and a failed build is retried', async () => {
  let builds = 0;
  const build = async (dir: string) => {
    builds++;
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(join(dir, 'content'), 'built');
  };
  const name = `once-${process.pid}-${Date.now()}`;
  const dirs = await Promise.all([runArtifact(name, build), runArtifact(name, build), runArtifact(name, build)]);
  assert.equal(builds, 1);
  assert.equal(new Set(dirs).size, 1);
  assert.equal(readFileSync(join(dirs[0], 'content'), 'utf8'), 'built');

  const failing = `retry-${process.pid}-${Date.now()}`;
  await assert.rejects(runArtifact(failing, async () => { throw new Error('first build fails'); }), /first build fails/);
  const dir = await runArtifact(failing, async (d) => writeFileSync(join(d, 'ok'), '1'));
  assert.equal(readFileSync(join(dir, 'ok'), 'utf8'), '1');
  await assert.rejects(runArtifact('Bad Name', build), /must be lower-case/);
});
