// Secrets encrypted at rest with AES-GCM from an EncryptionConfiguration: no plain value on disk,
// readable through the API, and key rotation (new key first, old key still read, old key dropped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiServer, tempDir } from '../support/apiserver.ts';
import { Kubectl } from '../support/kubectl.ts';
import { startEtcdCluster } from '../support/etcd.ts';
import { EtcdClient } from '../../src/apiserver/storage/etcd-client.ts';

const config = (keys: { name: string; secret: string }[]) => `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aesgcm:
          keys:
${keys.map((k) => `            - name: ${k.name}\n              secret: ${k.secret}`).join('\n')}
      - identity: {}
`;

/** Every byte the server keeps in its data directory's database files. */
function storedBytes(dir: string): string {
  return readdirSync(dir).filter((f) => f.startsWith('state.db')).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
}

test('Secrets are encrypted at rest and survive key rotation', async () => {
  const dir = tempDir('encryption');
  const configFile = join(dir, 'encryption.yaml');
  const key1 = { name: 'key1', secret: randomBytes(32).toString('base64') };
  const key2 = { name: 'key2', secret: randomBytes(32).toString('base64') };
  const marker = `Sup3rSecret${randomBytes(4).toString('hex')}`;
  writeFileSync(configFile, config([key1]));
  let server = await startApiServer({ dataDir: dir, args: ['--encryption-provider-config', configFile] });
  let k = new Kubectl('1.33', server.kubeconfig);
  await k.ok(['create', 'secret', 'generic', 'db', `--from-literal=password=${marker}`]);
  await k.ok(['create', 'configmap', 'plain', `--from-literal=note=${marker}`]);
  assert.equal(Buffer.from(await k.ok(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']), 'base64').toString(), marker);
  assert.equal(await server.stop(), 0);
  const onDisk = storedBytes(dir);
  assert.ok(onDisk.includes(marker), 'the unencrypted ConfigMap shows the check can see stored values');
  assert.ok(!onDisk.includes(Buffer.from(marker).toString('base64')), 'no plain Secret value (base64) on disk');
  assert.ok(onDisk.includes('k8s:enc:aesgcm:v1:key1:'));

  // Rotation: the new key writes, the old one still reads.
  writeFileSync(configFile, config([key2, key1]));
  server = await startApiServer({ dataDir: dir, args: ['--encryption-provider-config', configFile] });
  k = new Kubectl('1.33', server.kubeconfig);
  assert.equal(Buffer.from(await k.ok(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']), 'base64').toString(), marker);
  await k.ok(['label', 'secret', 'db', 'rotated=yes']);
  assert.equal(await server.stop(), 0);
  writeFileSync(configFile, config([key2]));
  server = await startApiServer({ dataDir: dir, args: ['--encryption-provider-config', configFile] });
  k = new Kubectl('1.33', server.kubeconfig);
  assert.equal(Buffer.from(await k.ok(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']), 'base64').toString(), marker);
  assert.equal(await server.stop(), 0);

  // A configuration without the key the data needs is refused at start, with the reason.
  writeFileSync(configFile, config([{ name: 'key3', secret: randomBytes(32).toString('base64') }]));
  await assert.rejects(startApiServer({ dataDir: dir, args: ['--encryption-provider-config', configFile] }), /encrypted with key "key2"/);
});

test('with etcd storage, the Secret in etcd is encrypted too', async () => {
  const etcd = await startEtcdCluster(1);
  const dir = tempDir('encryption-etcd');
  const configFile = join(dir, 'encryption.yaml');
  writeFileSync(configFile, config([{ name: 'key1', secret: randomBytes(32).toString('base64') }]));
  const marker = `EtcdSecret${randomBytes(4).toString('hex')}`;
  const server = await startApiServer({ dataDir: dir, args: ['--storage', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--encryption-provider-config', configFile] });
  const client = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    const k = new Kubectl('1.27', server.kubeconfig);
    await k.ok(['create', 'secret', 'generic', 'db', `--from-literal=password=${marker}`]);
    assert.equal(Buffer.from(await k.ok(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']), 'base64').toString(), marker);
    const all = await client.range({ key: Buffer.from('/'), range_end: Buffer.from('0') });
    const raw = all.kvs.map((kv) => Buffer.from(kv.value).toString('latin1')).join('\n');
    assert.ok(raw.includes('k8s:enc:aesgcm:v1:key1:'), 'the Secret is stored encrypted');
    assert.ok(!raw.includes(Buffer.from(marker).toString('base64')) && !raw.includes(marker), 'no plain value in etcd');
  } finally {
    client.close();
    await server.stop();
    await etcd.stop();
  }
});
