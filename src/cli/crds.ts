// Every CustomResourceDefinition the distribution defines, and the commands that print and
// install them: `granary crd print` and `granary install --kubeconfig FILE`.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { KubeObject } from '../api/meta.ts';
import { KubeClient } from '../client/client.ts';
import { isAlreadyExists } from '../client/errors.ts';
import { PACKAGE_REPOSITORY_CRD } from '../agent/packages/repository-resource.ts';
import { UsageError } from './process.ts';

export const ALL_CRDS: KubeObject[] = [PACKAGE_REPOSITORY_CRD];

export const CRD_USAGE = `  crd print                                       print every CustomResourceDefinition granary defines (YAML)
  install --kubeconfig FILE                       install (or update) them on a cluster`;

export async function crdCommand(argv: string[]): Promise<void> {
  if (argv[0] !== 'print' || argv.length !== 1) throw new UsageError('usage: granary crd print');
  process.stdout.write(ALL_CRDS.map((crd) => stringify(crd)).join('---\n'));
}

/** Creates each CRD, or replaces the spec of one that exists (keeping its status and version). */
export async function installCrds(client: KubeClient): Promise<string[]> {
  const api = client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  const names: string[] = [];
  for (const crd of ALL_CRDS) {
    try {
      await api.create(crd);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await api.apply({ metadata: { name: crd.metadata.name }, spec: crd.spec } as never, { fieldManager: 'granary-install', force: true });
    }
    names.push(crd.metadata.name!);
  }
  return names;
}

export async function installCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { kubeconfig: { type: 'string' } }, strict: true });
  const client = KubeClient.fromKubeconfig(values.kubeconfig);
  try {
    for (const name of await installCrds(client)) process.stdout.write(`customresourcedefinition ${name} installed\n`);
  } finally {
    await client.close();
  }
}
