import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ConfigMap, Pod, Secret, Volume, VolumeMount } from '../pod-types.ts';
import { pathVariables, podPaths } from './layout.ts';
import { removePodFiles, renderVolumes, resolveMountPath, type VolumeContext } from './render.ts';
import { notRoot } from '../../../test/support/machine-limits.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function setup(t: { after(fn: () => void): void }, volumes: Volume[], mounts: VolumeMount[], objects: { configMaps?: Record<string, ConfigMap>; secrets?: Record<string, Secret> } = {}, at?: { root: string; uid: string }) {
  const root = at?.root ?? mkdtempSync(join(tmpdir(), 'granary-volumes-'));
  if (!at) t.after(() => rmSync(root, { recursive: true, force: true }));
  const uid = at?.uid ?? 'pod-uid-1';
  const paths = podPaths(root, uid);
  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'zk-0', namespace: 'data', uid, labels: { app: 'zk', tier: 'db' }, annotations: { 'a/b': 'say "hi"' } },
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
    configMaps: { 'zk-config': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'zk-config' }, data: { 'zoo.cfg': 'dataDir={{dataroot}}/zk\nbin={{packageroot}}/bin\ntemplate={{ keep }}\n', 'log4j.properties': 'dir={{logroot}}' }, binaryData: { 'blob.bin': b64('{{dataroot}}') } } },
    secrets: { 'zk-tls': { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'zk-tls' }, data: { 'key.pem': b64('PRIVATE') } } },
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
      cfg: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'one', b: 'two' } },
      fixed: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fixed' }, data: { c: 'three' } },
    },
  });
  await renderVolumes(context);
  const volume = join(paths.volumes, 'config');
  const firstPayload = readlinkSync(join(volume, '..data'));
  assert.deepEqual(await renderVolumes(context), [], 'nothing changed');
  assert.equal(readlinkSync(join(volume, '..data')), firstPayload);

  configMaps.cfg = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'ONE', c: 'new' } };
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
  const key = setup(t, [{ name: 'v', secret: { secretName: 's', items: [{ key: 'missing', path: 'm' }] } }], [], { secrets: { s: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: {} } } });
  await assert.rejects(renderVolumes(key.context), /secret "s" has no key "missing"/);
  const optional = setup(t, [{ name: 'v', configMap: { name: 'absent', optional: true } }], [{ name: 'v', mountPath: '{{configroot}}/v' }]);
  assert.deepEqual(await renderVolumes(optional.context), ['v']);
  assert.deepEqual(readdirSync(join(optional.paths.config, 'v')).filter((f) => !f.startsWith('..')), []);
  const unknown = setup(t, [{ name: 'v', nfs: { server: 'x', path: '/' } } as Volume], []);
  await assert.rejects(renderVolumes(unknown.context), /volume v is of a type granary nodes do not support/);
  const badPath = setup(t, [{ name: 'v', configMap: { name: 'c', items: [{ key: 'k', path: '../k' }] } }], [], { configMaps: { c: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'x' } } } });
  await assert.rejects(renderVolumes(badPath.context), /must not contain "\.\."/);
});

test('a mount path occupied by a real directory is refused; pod files are removed at the end', async (t) => {
  const { paths, context } = setup(t, [{ name: 'v', emptyDir: {} }], [{ name: 'v', mountPath: '{{configroot}}/taken' }]);
  mkdirSync(join(paths.config, 'taken'), { recursive: true });
  await assert.rejects(renderVolumes(context), /already holds a file or directory/);
  await removePodFiles(paths);
  assert.equal(existsSync(paths.pod), false);
});

test('a hostPath volume inside {{volumeroot}} is created, mounted, and outlives its pod', async (t) => {
  const volumes: Volume[] = [{ name: 'data', hostPath: { path: '{{volumeroot}}/zookeeper/simple/server-1', type: 'DirectoryOrCreate' } }];
  const mounts: VolumeMount[] = [{ name: 'data', mountPath: '{{dataroot}}/zookeeper' }];
  const first = setup(t, volumes, mounts);
  const hostDir = join(first.root, 'volumes', 'zookeeper', 'simple', 'server-1');
  assert.equal(first.context.variables.volumeroot, join(first.root, 'volumes'));
  assert.deepEqual(await renderVolumes(first.context), []);
  assert.ok(statSync(hostDir).isDirectory());
  assert.equal(mode(hostDir), 0o750);
  assert.equal(readlinkSync(join(first.paths.data, 'zookeeper')), hostDir);
  writeFileSync(join(first.paths.data, 'zookeeper', 'myid'), '1\n');
  await renderVolumes(first.context);
  assert.equal(readFileSync(join(hostDir, 'myid'), 'utf8'), '1\n', 'rendering again leaves the data alone');

  await removePodFiles(first.paths);
  assert.equal(existsSync(first.paths.pod), false);
  assert.equal(readFileSync(join(hostDir, 'myid'), 'utf8'), '1\n', 'the data outlives the pod');

  // The pod again, with a new uid and the volume spelled out, type Directory and a subPath.
  const second = setup(t, [{ name: 'data', hostPath: { path: `${first.root}/volumes/zookeeper/simple/server-1/`, type: 'Directory' } }],
    [{ name: 'data', mountPath: '{{dataroot}}/zookeeper' }, { name: 'data', mountPath: '{{configroot}}/myid', subPath: 'myid' }], {}, { root: first.root, uid: 'pod-uid-2' });
  await renderVolumes(second.context);
  assert.equal(readFileSync(join(second.paths.data, 'zookeeper', 'myid'), 'utf8'), '1\n');
  assert.equal(readFileSync(join(second.paths.config, 'myid'), 'utf8'), '1\n');
  await removePodFiles(second.paths);
  assert.equal(readFileSync(join(hostDir, 'myid'), 'utf8'), '1\n');
});

test('hostPath volumes outside {{volumeroot}}, through links out of it, or of other types are refused', async (t) => {
  const mounts: VolumeMount[] = [{ name: 'h', mountPath: '{{dataroot}}/h' }];
  const outside = /outside the node's volume root; granary nodes only allow hostPath volumes strictly inside \{\{volumeroot\}\} \(/;
  const cases: [Volume['hostPath'], RegExp][] = [
    [{ path: '/' }, outside],
    [{ path: '/etc' }, outside],
    [{ path: '/etc/zookeeper', type: 'DirectoryOrCreate' }, outside],
    [{ path: '{{volumeroot}}' }, outside],
    [{ path: '{{volumeroot}}/' }, outside],
    [{ path: '{{dataroot}}/x' }, outside],
    [{ path: '{{volumeroot}}-other/x' }, outside],
    [{ path: '{{volumeroot}}/../etc' }, /must be an absolute path without "\.\."/],
    [{ path: '{{volumeroot}}/a/../b' }, /must be an absolute path without "\.\."/],
    [{ path: 'zookeeper/data' }, /must be an absolute path/],
    [{ path: '{{volumeroot}}/x', type: 'File' }, /hostPath type "File" is not supported.*use DirectoryOrCreate/],
    [{ path: '{{volumeroot}}/x', type: 'FileOrCreate' }, /not supported/],
    [{ path: '{{volumeroot}}/x', type: 'Socket' }, /not supported/],
    [{ path: '{{volumeroot}}/missing', type: 'Directory' }, /\(type Directory\) does not exist/],
  ];
  for (const [hostPath, message] of cases) {
    const { root, paths, context } = setup(t, [{ name: 'h', hostPath } as Volume], mounts);
    await assert.rejects(renderVolumes(context), (err: Error & { reason: string }) => err.reason === 'FailedMount' && message.test(err.message), `${JSON.stringify(hostPath)}: ${message}`);
    assert.equal(existsSync(paths.pod), false, 'nothing written');
    assert.deepEqual(readdirSync(root), [], 'nothing written');
  }

  // Symbolic links inside the volume root that lead out of it (a service may have made them).
  const { root, paths, context } = setup(t, [{ name: 'h', hostPath: { path: '{{volumeroot}}/escape/data' } }], mounts);
  const elsewhere = mkdtempSync(join(tmpdir(), 'granary-elsewhere-'));
  t.after(() => rmSync(elsewhere, { recursive: true, force: true }));
  mkdirSync(join(root, 'volumes'));
  symlinkSync(elsewhere, join(root, 'volumes', 'escape'));
  await assert.rejects(renderVolumes(context), /leads to .* through a symbolic link, outside the node's volume root/);
  assert.equal(existsSync(join(elsewhere, 'data')), false, 'nothing created outside');
  assert.equal(existsSync(paths.pod), false);
  const direct = setup(t, [{ name: 'h', hostPath: { path: '{{volumeroot}}/etc-link' } }], mounts);
  mkdirSync(join(direct.root, 'volumes'));
  symlinkSync('/etc', join(direct.root, 'volumes', 'etc-link'));
  await assert.rejects(renderVolumes(direct.context), /leads to \/etc through a symbolic link/);
  const toRoot = setup(t, [{ name: 'h', hostPath: { path: '{{volumeroot}}/self' } }], mounts);
  mkdirSync(join(toRoot.root, 'volumes'));
  symlinkSync('.', join(toRoot.root, 'volumes', 'self'));
  await assert.rejects(renderVolumes(toRoot.context), /through a symbolic link, outside/, 'a link to the root itself is not inside it');
  const file = setup(t, [{ name: 'h', hostPath: { path: '{{volumeroot}}/file' } }], mounts);
  mkdirSync(join(file.root, 'volumes'));
  writeFileSync(join(file.root, 'volumes', 'file'), '');
  await assert.rejects(renderVolumes(file.context), /exists and is not a directory/);
  // A link that stays inside the root is fine.
  const inside = setup(t, [{ name: 'h', hostPath: { path: '{{volumeroot}}/alias/data' } }], mounts);
  mkdirSync(join(inside.root, 'volumes', 'real'), { recursive: true });
  symlinkSync('real', join(inside.root, 'volumes', 'alias'));
  await renderVolumes(inside.context);
  assert.ok(statSync(join(inside.root, 'volumes', 'real', 'data')).isDirectory());
});

test('a hostPath directory the agent creates belongs to the user its containers run as', { skip: notRoot() }, async (t) => {
  const { root, pod, context } = setup(t, [{ name: 'h', hostPath: { path: '{{volumeroot}}/owned' } }], [{ name: 'h', mountPath: '{{dataroot}}/h' }]);
  pod.spec.securityContext = { runAsUser: 4321, runAsGroup: 4322 };
  await renderVolumes(context);
  const info = statSync(join(root, 'volumes', 'owned'));
  assert.deepEqual([info.uid, info.gid, info.mode & 0o777], [4321, 4322, 0o750]);
});
