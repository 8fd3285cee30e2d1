// `granary up`, `status` and `down` as a user runs them, through the repository's ./granary launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../support/apiserver.ts';
import { freePort } from '../support/net.ts';
import { Kubectl } from '../support/kubectl.ts';
import { eventually } from '../support/eventually.ts';

const run = promisify(execFile);
const GRANARY = join(REPO_ROOT, 'granary');

test('granary up brings the control plane and three node agents up, status reports them, down stops it, up resumes it', async (t) => {
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
  // A failing assertion must not leave granary up running.
  t.after(() => first.child.kill('SIGKILL'));
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
  assert.match(first.output(), /started 3 node agents \((systemd|process) runtime\): granary-1 on 127.0.0.2, granary-2 on 127.0.0.3, granary-3 on 127.0.0.4/);
  const status = await eventually('three Ready nodes in granary status', async () => {
    const out = (await run(GRANARY, ['status'], { env })).stdout;
    return /nodes: 3 \(3 ready\)/.test(out) ? out : undefined;
  }, 30_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n--- granary up printed:\n${first.output()}`);
  });
  assert.match(status, /granary is up/);
  assert.match(await kubectl.ok(['get', 'nodes', '-l', 'granary.dev/local=true', '-o', 'name']), /node\/granary-1\nnode\/granary-2\nnode\/granary-3/);
  assert.match(await kubectl.ok(['get', 'packagerepositories', '-o', 'name']), /packagerepository.packages.granary.dev\/debian/);
  const again = await run(GRANARY, ['up', '--listen', listen], { env }).catch((err) => err);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already up/);
  const down = await run(GRANARY, ['down'], { env });
  assert.match(down.stdout, /granary stopped/);
  assert.equal(await first.exited, 0);
  const stopped = await run(GRANARY, ['status'], { env }).catch((err) => err);
  assert.equal(stopped.code, 3);

  const second = start();
  t.after(() => second.child.kill('SIGKILL'));
  await second.ready;
  assert.match(await kubectl.ok(['get', 'namespace', 'kept', '-o', 'name']), /namespace\/kept/);
  second.child.kill('SIGINT');
  assert.equal(await second.exited, 0, 'Ctrl-C stops cleanly');
});
