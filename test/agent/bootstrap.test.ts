// A node joining with a bootstrap token (process runtime): `granary agent --bootstrap-kubeconfig`
// with no node kubeconfig yet asks for its certificate through a CertificateSigningRequest, which
// the control plane approves and signs; the agent writes its kubeconfig and registers its Node as
// system:node:NAME. With a short certificate lifetime (--node-certificate-duration 60s) it renews
// the certificate before it expires, with its own credential, and keeps working on the new one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';
import { KubeClient } from '../../src/client/client.ts';
import { loadConnection } from '../../src/client/kubeconfig.ts';
import type { KubeObject } from '../../src/api/meta.ts';

const CLI = join(REPO_ROOT, 'src/cli/main.ts');
const NODE = 'joiner-1';

type Csr = KubeObject & { spec: { username: string }; status?: { certificate?: string; conditions?: { type: string; reason?: string }[] } };
type Lease = KubeObject & { spec: { renewTime?: string } };

describe('granary agent joining with a bootstrap token (process runtime)', () => {
  let server: RunningApiServer;
  let admin: KubeClient;
  let agent: ChildProcess | undefined;
  let output = '';
  const root = tempDir('join-root');
  chmodSync(root, 0o755);
  const nodeKubeconfig = join(tempDir('join-config'), 'node.kubeconfig');

  const certificate = (): X509Certificate | undefined => {
    if (!existsSync(nodeKubeconfig)) return undefined;
    const cert = loadConnection({ kubeconfig: nodeKubeconfig }).cert;
    return cert ? new X509Certificate(cert) : undefined;
  };
  const ready = async () => {
    const node = await admin.resource('v1', 'Node').get(NODE) as KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? node : undefined;
  };

  before(async () => {
    server = await startApiServer({ args: ['--node-certificate-duration', '60s'] });
    admin = KubeClient.fromKubeconfig(server.kubeconfig);
    const bootstrapKubeconfig = join(tempDir('join-bootstrap'), 'bootstrap.kubeconfig');
    await promisify(execFile)(process.execPath, [CLI, 'token', 'create', '--data-dir', server.dataDir, '--print-kubeconfig', '--out', bootstrapKubeconfig]);
    agent = spawn(process.execPath, [CLI, 'agent', '--bootstrap-kubeconfig', bootstrapKubeconfig, '--kubeconfig', nodeKubeconfig, '--node-name', NODE,
      '--node-ip', '127.0.0.1', '--port', '0', '--runtime', 'process', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRANARY_LOG_LEVEL: 'info' } });
    agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await admin.close();
    await server.stop();
  });

  test('gets its certificate approved and issued, writes its kubeconfig, and registers as system:node:NAME', async (t) => {
    try {
      await eventually('the Node to be Ready', ready, 60_000);
      const cert = certificate()!;
      assert.equal(cert.subject, `CN=system:node:${NODE}\nO=system:nodes`);
      assert.equal(statSync(nodeKubeconfig).mode & 0o777, 0o600);
      assert.equal(statSync(join(root, 'pki', 'node-client.key')).mode & 0o777, 0o600);
      assert.equal(readFileSync(join(root, 'pki', 'node-client.key'), 'utf8'), loadConnection({ kubeconfig: nodeKubeconfig }).key);
      const csrs = (await admin.resource<Csr>('certificates.k8s.io/v1', 'CertificateSigningRequest').list()).items;
      assert.equal(csrs.length, 1);
      assert.match(csrs[0].spec.username, /^system:bootstrap:[a-z0-9]{6}$/);
      assert.equal(csrs[0].status?.conditions?.find((c) => c.type === 'Approved')?.reason, 'AutoApproved');
      // The Lease is the node's own to write (NodeRestriction): the agent is that node.
      await eventually('the node Lease', async () => admin.resource<Lease>('coordination.k8s.io/v1', 'Lease').get(NODE, 'kube-node-lease'));
    } catch (err) {
      t.diagnostic(output);
      throw err;
    }
  });

  test('renews its certificate before it expires and keeps working on the new one', async (t) => {
    try {
      const first = certificate()!;
      const renewed = await eventually('a renewed certificate', async () => {
        const now = certificate();
        return now && now.serialNumber !== first.serialNumber ? now : undefined;
      }, 120_000, 500);
      assert.equal(renewed.subject, first.subject);
      assert.ok(Date.parse(renewed.validTo) > Date.parse(first.validTo));
      // Renewed before the old one expired, with the node's own credential.
      const csrs = (await admin.resource<Csr>('certificates.k8s.io/v1', 'CertificateSigningRequest').list()).items;
      const renewal = csrs.find((c) => c.spec.username === `system:node:${NODE}`);
      assert.ok(renewal, JSON.stringify(csrs.map((c) => c.spec.username)));
      assert.ok(Date.parse(renewal.metadata.creationTimestamp!) < Date.parse(first.validTo), `${renewal.metadata.creationTimestamp} vs ${first.validTo}`);

      // Once the first certificate has expired, the agent still renews its Lease and stays Ready.
      const lease = admin.resource<Lease>('coordination.k8s.io/v1', 'Lease');
      await eventually('a Lease renewal after the first certificate expired', async () => {
        const renewTime = (await lease.get(NODE, 'kube-node-lease')).spec.renewTime;
        return renewTime && Date.parse(renewTime) > Date.parse(first.validTo) + 1000 ? renewTime : undefined;
      }, 120_000, 500);
      assert.ok(await ready());
      assert.equal(agent!.exitCode, null);
      assert.doesNotMatch(output, /Unauthorized/);
    } catch (err) {
      t.diagnostic(output);
      throw err;
    }
  });
});
