// `granary up`, `status` and `down` as a user runs them, through the repository's ./granary launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../support/apiserver.ts';
import { freePort } from '../support/net.ts';
import { Kubectl } from '../support/kubectl.ts';

const run = promisify(execFile);
const GRANARY = join(REPO_ROOT, 'granary');

test('granary up brings the control plane up, status reports it, down stops it, up resumes it', async () => {
  const home = tempDir('up');
  const env = { ...process.env, GRANARY_HOME: home };
  const listen = `127.0.0.1:${await freePort()}`;
  const start = () => {
    const child = spawn(GRANARY, ['up', '--listen', listen], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`granary up did not come up:\n${out}`)), 60_000);
      child.stdout.on('data', () => {
        if (out.includes('Granary is up')) (clearTimeout(timer), resolve());
      });
      void exited.then(() => reject(new Error(`granary up exited early:\n${out}`)));
    });
    return { child, exited, ready, output: () => out };
  };
  const first = start();
  await first.ready;
  assert.match(first.output(), new RegExp(`export KUBECONFIG=${home}/admin.kubeconfig`));
  const kubectl = new Kubectl('1.33', join(home, 'admin.kubeconfig'));
  await kubectl.ok(['create', 'namespace', 'kept']);
  assert.match(first.output(), /installed the custom resource definitions: packagerepositories.packages.granary.dev/);
  assert.match(await kubectl.ok(['get', 'crd', '-o', 'name']), /packagerepositories.packages.granary.dev/);
  // What `granary crd print` prints is what a user applies to another cluster; `granary install` does it for them.
  const printed = await run(GRANARY, ['crd', 'print'], { env });
  assert.match(await kubectl.ok(['apply', '--dry-run=server', '-f', '-'], { input: printed.stdout }), /packagerepositories.packages.granary.dev/);
  const installed = await run(GRANARY, ['install', '--kubeconfig', join(home, 'admin.kubeconfig')], { env });
  assert.match(installed.stdout, /customresourcedefinition packagerepositories.packages.granary.dev installed/);
  const status = await run(GRANARY, ['status'], { env });
  assert.match(status.stdout, /granary is up/);
  assert.match(status.stdout, /nodes: 0/);
  const again = await run(GRANARY, ['up', '--listen', listen], { env }).catch((err) => err);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already up/);
  const down = await run(GRANARY, ['down'], { env });
  assert.match(down.stdout, /granary stopped/);
  assert.equal(await first.exited, 0);
  const stopped = await run(GRANARY, ['status'], { env }).catch((err) => err);
  assert.equal(stopped.code, 3);

  const second = start();
  await second.ready;
  assert.match(await kubectl.ok(['get', 'namespace', 'kept', '-o', 'name']), /namespace\/kept/);
  second.child.kill('SIGINT');
  assert.equal(await second.exited, 0, 'Ctrl-C stops cleanly');
});
