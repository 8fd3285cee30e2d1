// `granary agent`: runs this host's pods (or, with --simulate N, N simulated nodes).
import { parseArgs } from 'node:util';
import { resolve, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { KubeClient } from '../client/client.ts';
import { createLogger } from '../common/log.ts';
import { runAgent } from '../agent/agent.ts';
import { defaultHostname } from '../agent/node.ts';
import { runSimulation } from '../agent/simulate.ts';
import { ensureNodeCredential, rotateNodeCertificate, type NodeCredentialOptions } from '../agent/certificates.ts';
import { openProcessRuntime } from '../agent/runtimes/process.ts';
import { openSystemdRuntime } from '../agent/runtimes/systemd.ts';
import type { ContainerRuntime } from '../agent/runtimes/runtime.ts';
import { openContainerRuntime } from '../agent/runtimes/container.ts';
import { CriClient } from '../agent/runtimes/cri/client.ts';
import { ImageManager } from '../agent/images/manager.ts';
import { UsageError } from './process.ts';

export const AGENT_USAGE = `  agent --kubeconfig FILE --node-ip IP --root DIR [--node-name NAME] [--runtime systemd|process|container]
        [--container-runtime-endpoint SOCKET] [--insecure-registry HOST:PORT ...] [--image-gc-unused-minutes N]
        [--bootstrap-kubeconfig FILE] [--rotate-certificates]
        [--port PORT] [--label k=v ...] [--simulate N]   run this host's pods (or N simulated nodes)`;

function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label takes key=value, got ${JSON.stringify(v)}`);
    labels[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return labels;
}

export async function agentCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      kubeconfig: { type: 'string' }, 'node-name': { type: 'string' }, 'node-ip': { type: 'string' },
      runtime: { type: 'string', default: 'systemd' }, root: { type: 'string' }, label: { type: 'string', multiple: true, default: [] },
      simulate: { type: 'string' }, port: { type: 'string', default: '10250' },
      'bootstrap-kubeconfig': { type: 'string' }, 'rotate-certificates': { type: 'boolean', default: false },
      // Where systemd reads units and how to reach it (a systemd in another namespace, for tests).
      'systemd-unit-dir': { type: 'string', default: '/run/systemd/system' }, 'systemd-command-prefix': { type: 'string' },
      // The container runtime: a CRI runtime's socket, registries without TLS, image garbage collection.
      'container-runtime-endpoint': { type: 'string', default: '/run/containerd/containerd.sock' },
      'insecure-registry': { type: 'string', multiple: true, default: [] }, 'image-gc-unused-minutes': { type: 'string', default: '60' },
    },
  });
  const labels = parseLabels(values.label!);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const log = createLogger('agent');
  const bootstrapKubeconfig = values['bootstrap-kubeconfig'] ? resolve(values['bootstrap-kubeconfig']) : undefined;
  let credential: NodeCredentialOptions | undefined;
  if (bootstrapKubeconfig || values['rotate-certificates']) {
    if (values.simulate !== undefined) throw new UsageError('--bootstrap-kubeconfig and --rotate-certificates are for a real node, not --simulate');
    if (!values.kubeconfig) throw new UsageError('--bootstrap-kubeconfig and --rotate-certificates need --kubeconfig FILE (where the node\'s own credential is kept)');
    if (!values.root) throw new UsageError('granary agent needs --root DIR (where packages, pod files, keys and runtime state live)');
    const nodeName = values['node-name'] ?? defaultHostname();
    credential = { nodeName, kubeconfig: resolve(values.kubeconfig), bootstrapKubeconfig, keyDir: join(resolve(values.root), 'pki'), log: log.child({ part: 'certificates' }) };
    // The first certificate (or one to replace an expired one) comes through the bootstrap token.
    await ensureNodeCredential(credential, stop.signal);
    if (stop.signal.aborted) return;
  }
  // Every ConfigMap and Secret the node's pods use is watched on its own connection (HTTP/1.1).
  const client = KubeClient.fromKubeconfig(values.kubeconfig, { connections: 512 });
  if (values.simulate !== undefined) {
    const count = Number(values.simulate);
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--simulate takes a positive number of nodes, got ${JSON.stringify(values.simulate)}`);
    await runSimulation({ client, count, prefix: values['node-name'] ?? 'sim', labels, log }, stop.signal);
    await client.close();
    return;
  }
  const nodeName = values['node-name'] ?? defaultHostname();
  const identity = nodeIdentity(client.connection.cert);
  if (identity !== undefined && identity !== nodeName) {
    throw new UsageError(`the kubeconfig is node ${JSON.stringify(identity)}'s credential, but this agent would register node ${JSON.stringify(nodeName)}; pass --node-name ${identity} or use that node's kubeconfig`);
  }
  if (credential && identity === undefined) {
    throw new UsageError(`${values.kubeconfig} is not a node's credential (a certificate for system:node:${nodeName}), so there is none to rotate; give the agent its own kubeconfig path`);
  }
  if (!values['node-ip']) throw new UsageError('granary agent needs --node-ip IP (the address other hosts reach this node and its services at)');
  if (!values.root) throw new UsageError('granary agent needs --root DIR (where packages, pod files and runtime state live)');
  const root = resolve(values.root);
  mkdirSync(root, { recursive: true });
  let runtime: ContainerRuntime;
  let images: ImageManager | undefined;
  let runtimeVersion: string | undefined;
  let cri: CriClient | undefined;
  const gcMinutes = Number(values['image-gc-unused-minutes']);
  if (!(gcMinutes > 0)) throw new UsageError(`--image-gc-unused-minutes takes a positive number, got ${JSON.stringify(values['image-gc-unused-minutes'])}`);
  if (values.runtime === 'container') {
    const socket = values['container-runtime-endpoint']!.replace(/^unix:\/\//, '');
    cri = new CriClient({ socket });
    const version = await cri.version().catch((err: Error) => {
      throw new UsageError(`no CRI runtime answers at ${socket} (${err.message}); start containerd (see docs/hybrid.md) or pass --container-runtime-endpoint`);
    });
    runtimeVersion = `${version.runtime_name}://${version.runtime_version}`;
    for (const registry of values['insecure-registry']!) {
      if (!/^[a-zA-Z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(registry)) throw new UsageError(`--insecure-registry takes host[:port], got ${JSON.stringify(registry)}`);
    }
    runtime = await openContainerRuntime({ cri, node: nodeName, stateDir: join(root, 'runtime'), log: log.child({ part: 'runtime' }) });
    images = await ImageManager.open({ cri, stateFile: join(root, 'images.json'), insecureRegistries: values['insecure-registry'], log: log.child({ part: 'images' }) });
  } else if (values.runtime === 'process') {
    runtime = await openProcessRuntime({ stateDir: join(root, 'runtime'), log: log.child({ part: 'runtime' }) });
  } else if (values.runtime === 'systemd') {
    runtime = await openSystemdRuntime({
      unitDir: values['systemd-unit-dir']!, stateDir: join(root, 'runtime'), log: log.child({ part: 'runtime' }),
      commandPrefix: values['systemd-command-prefix'] ? values['systemd-command-prefix'].split(' ').filter(Boolean) : undefined,
    });
  } else {
    throw new UsageError(`--runtime is systemd, process or container, not ${JSON.stringify(values.runtime)}`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a TCP port, got ${JSON.stringify(values.port)}`);
  // Certificates are renewed, and the client switched to them, for as long as the agent runs.
  const rotation = credential ? rotateNodeCertificate(client, credential, stop.signal) : undefined;
  await runAgent({ client, nodeName, nodeIp: values['node-ip'], root, runtime, images, imageGcUnusedMs: gcMinutes * 60_000, runtimeVersion, labels, port, log }, stop.signal);
  stop.abort();
  cri?.close();
  await rotation;
  await client.close();
}

/** The node a client certificate is the credential of (subject CN system:node:NAME), if it is one. */
function nodeIdentity(certPem: string | undefined): string | undefined {
  if (!certPem) return undefined;
  const cn = /^CN=(.*)$/m.exec(new X509Certificate(certPem).subject)?.[1];
  return cn?.startsWith('system:node:') ? cn.slice('system:node:'.length) : undefined;
}
