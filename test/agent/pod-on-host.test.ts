// The host-side pieces together, as the agent uses them for one pod: the container's package
// comes from an HTTP repository on loopback, its ConfigMap and downward API volumes become files
// under the pod's directory, its environment is resolved, and it runs as a service (under a real
// systemd as PID 1 in a namespace, and as a supervised process) until its readiness probe passes.
// A ConfigMap change reaches the running service's files; deleting the pod stops the service
// within its grace period and removes its files and, with its last user, the package.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { PackageManager } from '../../src/agent/packages/manager.ts';
import { ContainerProber } from '../../src/agent/probes.ts';
import type { ConfigMap, Pod } from '../../src/agent/pod-types.ts';
import { containerServiceSpec } from '../../src/agent/runtimes/container-spec.ts';
import { openProcessRuntime } from '../../src/agent/runtimes/process.ts';
import type { ContainerRuntime } from '../../src/agent/runtimes/runtime.ts';
import { openSystemdRuntime } from '../../src/agent/runtimes/systemd.ts';
import { resolveEnv, type ConfigSources } from '../../src/agent/volumes/env.ts';
import { pathVariables, podPaths } from '../../src/agent/volumes/layout.ts';
import { removePodFiles, renderVolumes } from '../../src/agent/volumes/render.ts';
import { freePort } from '../support/net.ts';
import { TestRepository } from '../support/package-repository.ts';
import { startSystemd, systemdUnavailable, type TestSystemd } from '../support/systemd.ts';

// The product: a small HTTP server that serves its configuration file, read afresh per request.
const SERVER = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const [configFile] = process.argv.slice(2);
createServer((req, res) => {
  if (req.url === '/ready') return res.end('ok');
  res.end(readFileSync(configFile, 'utf8'));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('serving ' + configFile + ' as ' + process.env.POD_NAME));
process.on('SIGTERM', () => { console.log('stopping'); process.exit(0); });
`;

async function buildServerPackage(work: string): Promise<Buffer> {
  const source = join(work, 'package-source');
  mkdirSync(join(source, 'bin'), { recursive: true });
  writeFileSync(join(source, 'bin', 'server.mjs'), SERVER);
  writeFileSync(join(source, 'bin', 'server'), `#!/bin/sh\nexec ${process.execPath} "$(dirname "$0")/server.mjs" "$@"\n`);
  chmodSync(join(source, 'bin', 'server'), 0o755);
  const file = join(work, 'server.tar.gz');
  await createTar({ gzip: true, file, cwd: source, portable: true }, ['bin']);
  return readFileSync(file);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function podOnHostSuite(kind: 'systemd' | 'process') {
  const skip = kind === 'systemd' ? systemdUnavailable() : undefined;
  describe(`a pod on the host (${kind} runtime)`, { skip }, () => {
    let work: string;
    let repository: TestRepository;
    let systemd: TestSystemd | undefined;
    let runtime: ContainerRuntime;
    let packages: PackageManager;

    before(async () => {
      work = mkdtempSync('/tmp/granary-pod-on-host-');
      chmodSync(work, 0o755);
      repository = new TestRepository();
      await repository.start();
      repository.publish('echo-server', '1.0', await buildServerPackage(work));
      packages = await PackageManager.open({ root: join(work, 'agent'), repositories: () => [{ name: 'test', http: { url: repository.url } }] });
      if (kind === 'systemd') {
        systemd = await startSystemd();
        runtime = await openSystemdRuntime({ unitDir: systemd.unitDir, stateDir: join(work, 'agent', 'runtime'), commandPrefix: systemd.commandPrefix, pollIntervalMs: 100 });
      } else {
        runtime = await openProcessRuntime({ stateDir: join(work, 'agent', 'runtime'), pollIntervalMs: 100 });
      }
    });
    after(async () => {
      await runtime?.close();
      await systemd?.stop();
      await repository.stop();
      rmSync(work, { recursive: true, force: true });
    });

    test('package, volumes, environment, service and readiness; a ConfigMap change reaches the files; deletion cleans up', async (t) => {
      const port = await freePort();
      const configMaps: Record<string, ConfigMap> = {
        'server-config': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'server-config' }, data: { 'server.conf': 'greeting=hello\nbinaries={{packageroot}}/bin\nliteral={{ not a variable }}\n', port: String(port) } },
      };
      const sources: ConfigSources = { configMap: (name) => configMaps[name], secret: () => undefined };
      const pod: Pod = {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'echo-0', namespace: 'demo', uid: `uid-${kind}`, labels: { app: 'echo' } },
        spec: {
          nodeName: 'node-1', terminationGracePeriodSeconds: 5, restartPolicy: 'Always',
          volumes: [
            { name: 'config', configMap: { name: 'server-config', items: [{ key: 'server.conf', path: 'server.conf' }] } },
            { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          ],
          containers: [{
            name: 'server', image: 'registry.example.com/demo/echo-server:1.0',
            command: ['{{packageroot}}/bin/server'], args: ['$(CONFIG_FILE)'],
            env: [
              { name: 'CONFIG_FILE', value: '{{configroot}}/app/server.conf' },
              { name: 'PORT', valueFrom: { configMapKeyRef: { name: 'server-config', key: 'port' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            volumeMounts: [{ name: 'config', mountPath: '{{configroot}}/app' }, { name: 'podinfo', mountPath: '{{configroot}}/podinfo' }],
            readinessProbe: { httpGet: { port, path: '/ready' }, periodSeconds: 0.1 },
          }],
        },
      };
      const container = pod.spec.containers[0];

      const installed = await packages.ensure(container.image!, pod.metadata.uid!);
      const paths = podPaths(join(work, 'agent'), pod.metadata.uid!);
      const variables = pathVariables(paths, installed.root);
      assert.deepEqual((await renderVolumes({ pod, paths, sources, variables })).sort(), ['config', 'podinfo']);
      const { env } = resolveEnv({ pod, container, sources, variables, hostIP: '127.0.0.1' });
      const spec = containerServiceSpec({ pod, container, init: false, env, variables });
      assert.deepEqual(spec.argv, [join(installed.root, 'bin', 'server'), join(paths.config, 'app', 'server.conf')]);

      await runtime.start(spec);
      const ready = new Promise<void>((resolve) => {
        const prober = new ContainerProber(container, { host: '127.0.0.1', env: spec.env }, { onReadinessChange: (isReady) => { if (isReady) resolve(); } });
        t.after(() => prober.stop());
        prober.start();
      });
      await Promise.race([ready, sleep(30_000).then(() => { throw new Error('the readiness probe did not pass within 30s'); })]);
      const served = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      assert.equal(served, `greeting=hello\nbinaries=${installed.root}/bin\nliteral={{ not a variable }}\n`);
      assert.equal(readFileSync(join(paths.config, 'podinfo', 'labels'), 'utf8'), 'app="echo"');

      configMaps['server-config'] = { ...configMaps['server-config'], data: { ...configMaps['server-config'].data, 'server.conf': 'greeting=changed\n' } };
      assert.deepEqual(await renderVolumes({ pod, paths, sources, variables }), ['config']);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'greeting=changed\n');

      const logs = await readLogs(runtime, spec.name);
      assert.match(logs, new RegExp(`serving ${paths.config}/app/server.conf as echo-0`));

      // Deleting the pod: stop within the grace period, remove the service, the files, the package.
      const stopped = await runtime.stop(spec.name, pod.spec.terminationGracePeriodSeconds!);
      assert.equal(stopped.state, 'exited', 'the server exits 0 on SIGTERM');
      assert.match(await readLogs(runtime, spec.name), /stopping/);
      await runtime.remove(spec.name);
      await removePodFiles(paths);
      assert.deepEqual(await packages.release(pod.metadata.uid!), ['echo-server:1.0']);
      assert.equal(existsSync(paths.pod), false);
      assert.equal(existsSync(installed.root), false);
      assert.equal((await runtime.status(spec.name)).state, 'absent');
    });
  });
}

async function readLogs(runtime: ContainerRuntime, name: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    let text = '';
    for await (const chunk of await runtime.logs(name)) text += chunk.toString();
    if (text || attempt > 50) return text;
    await sleep(100);
  }
}

podOnHostSuite('systemd');
podOnHostSuite('process');
