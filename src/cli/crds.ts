// Every CustomResourceDefinition the distribution defines (the package repositories' and every
// operator's), and the commands that print and install them: `granary crd print` and
// `granary install --kubeconfig FILE`.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { CustomResourceDefinition } from '../api/kinds/apiextensions.ts';
import type { RuntimeClass } from '../api/kinds/node.ts';
import { KubeClient, sleep } from '../client/client.ts';
import { isAlreadyExists } from '../client/errors.ts';
import { PACKAGE_REPOSITORY_CRD } from '../agent/packages/repository-resource.ts';
import { OPERATORS } from '../operators/index.ts';
import { UsageError } from './process.ts';
import { granaryRuntimeClasses } from '../runtime/runtime-classes.ts';

export const ALL_CRDS: CustomResourceDefinition[] = [PACKAGE_REPOSITORY_CRD, ...OPERATORS.flatMap((o) => o.crds)];

export const CRD_USAGE = `  crd print                                       print every CustomResourceDefinition granary defines (YAML)
  install --kubeconfig FILE                       install (or update) them on a cluster`;

export async function crdCommand(argv: string[]): Promise<void> {
  if (argv[0] !== 'print' || argv.length !== 1) throw new UsageError('usage: granary crd print');
  process.stdout.write(ALL_CRDS.map((crd) => stringify(crd)).join('---\n'));
}

/**
 * Creates each CRD, or replaces the spec of one that exists (keeping its status and version), then
 * waits until the server serves every one of them (condition Established), so that the caller
 * may create custom resources right away.
 */
export async function installCrds(client: KubeClient, crds: CustomResourceDefinition[] = ALL_CRDS, timeoutMs = 60_000): Promise<string[]> {
  const api = client.resource<CustomResourceDefinition>('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  const names: string[] = [];
  for (const crd of crds) {
    try {
      await api.create(crd);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await api.apply({ metadata: { name: crd.metadata.name }, spec: crd.spec }, { fieldManager: 'granary-install', force: true });
    }
    names.push(crd.metadata.name!);
  }
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const conditions = (await api.get(name)).status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) {
        const why = conditions.filter((c) => c.status !== 'True').map((c) => `${c.type}: ${c.reason ?? ''} ${c.message ?? ''}`.trim()).join('; ');
        throw new Error(`customresourcedefinition ${name} is not established after ${timeoutMs / 1000} s${why ? ` (${why})` : ''}; see \`kubectl describe crd ${name}\``);
      }
      await sleep(100);
    }
  }
  client.discovery.invalidate();
  return names;
}

/** Creates (or updates) the RuntimeClasses Granary's pods name; returns their names. */
export async function installRuntimeClasses(client: KubeClient): Promise<string[]> {
  const api = client.resource<RuntimeClass>('node.k8s.io/v1', 'RuntimeClass');
  const names: string[] = [];
  for (const runtimeClass of granaryRuntimeClasses()) {
    await api.apply(runtimeClass, { fieldManager: 'granary-install', force: true });
    names.push(runtimeClass.metadata.name!);
  }
  return names;
}

export async function installCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { kubeconfig: { type: 'string' } }, strict: true, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`granary install takes no arguments, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}; usage: granary install --kubeconfig FILE`);
  if (!values.kubeconfig && !process.env.KUBECONFIG) throw new UsageError('granary install needs the cluster to install into: --kubeconfig FILE (or $KUBECONFIG)');
  const client = KubeClient.fromKubeconfig(values.kubeconfig);
  try {
    for (const name of await installCrds(client)) process.stdout.write(`customresourcedefinition ${name} installed\n`);
    for (const name of await installRuntimeClasses(client)) process.stdout.write(`runtimeclass ${name} installed\n`);
  } finally {
    await client.close();
  }
}
