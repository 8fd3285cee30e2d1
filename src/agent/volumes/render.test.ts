import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ConfigMap, Pod, Secret, Volume, VolumeMount } from '../pod-types.ts';
import { pathVariables, podPaths } from './layout.ts';
import { removePodFiles, renderVolumes, resolveMountPath, type VolumeContext } from './render.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function setup(t: { after(fn: () => void): void }, volumes: Volume[], mounts: VolumeMount[], objects: { configMaps?: Record<string, ConfigMap>; secrets?: Record<string, Secret> } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'granary-volumes-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const paths = podPaths(root, 'pod-uid-1');
  const pod: Pod = {
    metadata: { name: 'zk-0', namespace: 'data', uid: 'pod-uid-1', labels: { app: 'zk', tier: 'db' }, annotations: { 'a/b': 'say "hi"' } },
    spec: { containers: [{ name: 'main', volumeMounts: mounts, resources: { limits: { cpu: '500m' } } }], volumes },
  };
  const configMaps = objects.configMaps ?? {};
  const secrets = objects.secrets ?? {};
  const context: VolumeContext = {
    pod, paths, variables: pathVariables(paths, '/opt/zk'),
    sources: { configMap: (n) => configMaps[n], secret: (n) => secrets[n] },
  };
  return { root, paths, pod, context, configMaps, secrets };
}

const mode = (path: string) => statSync(path).mode & 0o777;

test('configMap, secret, downwardAPI and emptyDir volumes become files, linked at their mount paths', async (t) => {
  const { paths, context } = setup(t, [
    { name: 'config', configMap: { name: 'zk-config' } },
    { name: 'picked', configMap: { name: 'zk-config', items: [{ key: 'zoo.cfg', path: 'conf/zoo.cfg', mode: 0o640 }] } },
    { name: 'tls', secret: { secretName: 'zk-tls' } },
    { name: 'tls-open', secret: { secretName: 'zk-tls', defaultMode: 0o644 } },
    { name: 'info', downwardAPI: { items: [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' } },
    ] } },
    { name: 'scratch', emptyDir: {} },
  ], [
    { name: 'config', mountPath: '{{configroot}}/zk' },
    { name: 'picked', mountPath: '{{configroot}}/picked' },
    { name: 'tls', mountPath: '{{configroot}}/tls' },
    { name: 'info', mountPath: '{{configroot}}/podinfo' },
    { name: 'scratch', mountPath: '{{dataroot}}/scratch' },
    { name: 'config', mountPath: '{{logroot}}/log4j.properties', subPath: 'log4j.properties' },
  ], {
    configMaps: { 'zk-config': { metadata: { name: 'zk-config' }, data: { 'zoo.cfg': 'dataDir={{dataroot}}/zk\nbin={{packageroot}}/bin\ntemplate={{ keep }}\n', 'log4j.properties': 'dir={{logroot}}' }, binaryData: { 'blob.bin': b64('{{dataroot}}') } } },
    secrets: { 'zk-tls': { metadata: { name: 'zk-tls' }, data: { 'key.pem': b64('PRIVATE') } } },
  });
  assert.deepEqual((await renderVolumes(context)).sort(), ['config', 'info', 'picked', 'tls', 'tls-open']);

  const zk = join(paths.config, 'zk');
  assert.equal(readlinkSync(zk), join(paths.volumes, 'config'));
  assert.equal(readFileSync(join(zk, 'zoo.cfg'), 'utf8'), `dataDir=${paths.data}/zk\nbin=/opt/zk/bin\ntemplate={{ keep }}\n`);
  assert.equal(readFileSync(join(zk, 'blob.bin'), 'utf8'), '{{dataroot}}', 'binaryData is not substituted');
  assert.equal(mode(join(zk, 'zoo.cfg')), 0o644);
  assert.equal(readFileSync(join(paths.config, 'picked', 'conf', 'zoo.cfg'), 'utf8').split('\n')[0], `dataDir=${paths.data}/zk`);
  assert.equal(mode(join(paths.config, 'picked', 'conf', 'zoo.cfg')), 0o640);
  assert.deepEqual(readdirSync(join(paths.config, 'picked')).filter((f) => !f.startsWith('..')), ['conf']);
  assert.equal(readFileSync(join(paths.config, 'tls', 'key.pem'), 'utf8'), 'PRIVATE');
  assert.equal(mode(join(paths.config, 'tls', 'key.pem')), 0o600);
  assert.equal(mode(join(paths.volumes, 'tls-open', 'key.pem')), 0o644);
  assert.equal(readFileSync(join(paths.config, 'podinfo', 'labels'), 'utf8'), 'app="zk"\ntier="db"');
  assert.equal(readFileSync(join(paths.config, 'podinfo', 'annotations'), 'utf8'), 'a/b="say \\"hi\\""');
  assert.equal(readFileSync(join(paths.config, 'podinfo', 'name'), 'utf8'), 'zk-0');
  assert.equal(readFileSync(join(paths.config, 'podinfo', 'cpu'), 'utf8'), '500');
  assert.ok(statSync(join(paths.data, 'scratch')).isDirectory());
  assert.equal(mode(join(paths.volumes, 'scratch')), 0o777);
  assert.equal(readFileSync(join(paths.log, 'log4j.properties'), 'utf8'), `dir=${paths.log}`);
  for (const root of [paths.config, paths.log, paths.data]) assert.ok(statSync(root).isDirectory());
});

test('a changed ConfigMap rewrites its volume atomically and is reported; unchanged ones are not', async (t) => {
  const { paths, context, configMaps } = setup(t, [
    { name: 'config', configMap: { name: 'cfg' } },
    { name: 'static', configMap: { name: 'fixed' } },
  ], [{ name: 'config', mountPath: '{{configroot}}/app' }], {
    configMaps: {
      cfg: { metadata: { name: 'cfg' }, data: { a: 'one', b: 'two' } },
      fixed: { metadata: { name: 'fixed' }, data: { c: 'three' } },
    },
  });
  await renderVolumes(context);
  const volume = join(paths.volumes, 'config');
  const firstPayload = readlinkSync(join(volume, '..data'));
  assert.deepEqual(await renderVolumes(context), [], 'nothing changed');
  assert.equal(readlinkSync(join(volume, '..data')), firstPayload);

  configMaps.cfg = { metadata: { name: 'cfg' }, data: { a: 'ONE', c: 'new' } };
  assert.deepEqual(await renderVolumes(context), ['config']);
  const app = join(paths.config, 'app');
  assert.equal(readFileSync(join(app, 'a'), 'utf8'), 'ONE');
  assert.equal(readFileSync(join(app, 'c'), 'utf8'), 'new');
  assert.equal(existsSync(join(app, 'b')), false, 'a removed key disappears');
  assert.notEqual(readlinkSync(join(volume, '..data')), firstPayload);
  assert.equal(existsSync(join(volume, firstPayload)), false, 'the old payload is gone');
  assert.ok(lstatSync(join(volume, 'a')).isSymbolicLink());
});

test('mount paths outside the pod\'s roots are refused before anything is written', async (t) => {
  const cases: [VolumeMount[], RegExp][] = [
    [[{ name: 'v', mountPath: '/etc/zookeeper' }], /"\/etc\/zookeeper" is outside the pod's directories/],
    [[{ name: 'v', mountPath: '{{configroot}}' }], /outside the pod's directories.*not the root itself/],
    [[{ name: 'v', mountPath: '{{configroot}}/../../../etc' }], /outside the pod's directories/],
    [[{ name: 'v', mountPath: '{{packageroot}}/conf' }], /outside the pod's directories/],
    [[{ name: 'v', mountPath: 'relative/dir' }], /must start with \{\{configroot\}\}/],
    [[{ name: 'nope', mountPath: '{{configroot}}/x' }], /volume "nope", which the pod does not define/],
    [[{ name: 'v', mountPath: '{{configroot}}/x', subPath: '../../escape' }], /must not contain "\.\."/],
    [[{ name: 'v', mountPath: '{{configroot}}/x' }, { name: 'w', mountPath: '{{configroot}}/x' }], /used for volume v .* and for volume w/],
    [[{ name: 'v', mountPath: '{{configroot}}/x' }, { name: 'w', mountPath: '{{configroot}}/x/y' }], /inside each other/],
  ];
  for (const [mounts, message] of cases) {
    const { paths, context } = setup(t, [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }], mounts);
    await assert.rejects(renderVolumes(context), (err: Error & { reason: string }) => err.reason === 'FailedMount' && message.test(err.message), String(message));
    assert.equal(existsSync(paths.pod), false, 'nothing written');
  }
  const { paths, context } = setup(t, [], []);
  assert.equal(resolveMountPath(`${paths.data}/abs`, paths, context.variables), join(paths.data, 'abs'), 'the absolute spelling of a root is fine');
});

test('missing sources fail the mount unless optional; unsupported volume types are named', async (t) => {
  const required = setup(t, [{ name: 'v', configMap: { name: 'absent' } }], []);
  await assert.rejects(renderVolumes(required.context), /volume v: configmap "absent" not found/);
  const key = setup(t, [{ name: 'v', secret: { secretName: 's', items: [{ key: 'missing', path: 'm' }] } }], [], { secrets: { s: { metadata: { name: 's' }, data: {} } } });
  await assert.rejects(renderVolumes(key.context), /secret "s" has no key "missing"/);
  const optional = setup(t, [{ name: 'v', configMap: { name: 'absent', optional: true } }], [{ name: 'v', mountPath: '{{configroot}}/v' }]);
  assert.deepEqual(await renderVolumes(optional.context), ['v']);
  assert.deepEqual(readdirSync(join(optional.paths.config, 'v')).filter((f) => !f.startsWith('..')), []);
  const hostPath = setup(t, [{ name: 'v', hostPath: { path: '/' } } as Volume], []);
  await assert.rejects(renderVolumes(hostPath.context), /not support/);
  const badPath = setup(t, [{ name: 'v', configMap: { name: 'c', items: [{ key: 'k', path: '../k' }] } }], [], { configMaps: { c: { metadata: { name: 'c' }, data: { k: 'x' } } } });
  await assert.rejects(renderVolumes(badPath.context), /must not contain "\.\."/);
});

test('a mount path occupied by a real directory is refused; pod files are removed at the end', async (t) => {
  const { paths, context } = setup(t, [{ name: 'v', emptyDir: {} }], [{ name: 'v', mountPath: '{{configroot}}/taken' }]);
  mkdirSync(join(paths.config, 'taken'), { recursive: true });
  await assert.rejects(renderVolumes(context), /already holds a file or directory/);
  await removePodFiles(paths);
  assert.equal(existsSync(paths.pod), false);
});
