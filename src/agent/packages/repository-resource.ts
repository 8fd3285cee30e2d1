// The PackageRepository custom resource (cluster-scoped): where agents find packages. Each names
// one source, an HTTP repository or the operating system's apt; agents try them from the highest
// priority down. docs/packages.md shows examples.
import { Type, type Static } from '@sinclair/typebox';
import { kindSchema } from '../../api/kinds/meta.ts';
import { customResourceDefinition } from '../../runtime/crd.ts';

export const PackageRepositorySpecSchema = Type.Object({
  priority: Type.Optional(Type.Integer({ description: 'Repositories with a higher priority are tried first; ties go by name.', default: 0 })),
  http: Type.Optional(Type.Object({
    url: Type.String({ description: 'Base URL; the index is <url>/index.json.', minLength: 1 }),
  }, { description: 'An HTTP repository with an index of product versions, archives and their sha256 digests.' })),
  os: Type.Optional(Type.Object({
    packageManager: Type.Optional(Type.Literal('apt', { description: 'The package manager that installs the packages (apt).' })),
  }, { description: 'The host\'s own distribution repository: the image\'s product and version are a Debian package name and version.' })),
}, { description: 'One package source. Exactly one of http and os must be set.' });
export type PackageRepositorySpec = Static<typeof PackageRepositorySpecSchema>;

export const PackageRepositorySchema = kindSchema('Where agents find packages.', { spec: PackageRepositorySpecSchema }, ['spec']);
export type PackageRepository = Static<typeof PackageRepositorySchema>;

export const PACKAGE_REPOSITORY_API_VERSION = 'packages.granary.dev/v1alpha1';

export const PACKAGE_REPOSITORY_CRD = customResourceDefinition({
  group: 'packages.granary.dev', kind: 'PackageRepository', plural: 'packagerepositories', shortNames: ['pkgrepo'],
  scope: 'Cluster',
  versions: [{
    name: 'v1alpha1', schema: PackageRepositorySchema, storage: true, status: false,
    printerColumns: [
      { name: 'Priority', type: 'integer', jsonPath: '.spec.priority' },
      { name: 'URL', type: 'string', jsonPath: '.spec.http.url' },
    ],
  }],
});

/**
 * The repositories the agent can use, and a message for each resource it cannot (to report as
 * an event or log): one without a name, or with both or neither of http and os.
 */
export function repositoryConfigs(resources: PackageRepository[]): { configs: (PackageRepositorySpec & { name: string })[]; problems: string[] } {
  const configs: (PackageRepositorySpec & { name: string })[] = [];
  const problems: string[] = [];
  for (const resource of resources) {
    const name = resource.metadata.name;
    const spec = resource.spec ?? {};
    if (!name) problems.push('a PackageRepository without a name is ignored');
    else if (!!spec.http === !!spec.os) problems.push(`PackageRepository ${name} is ignored: set exactly one of spec.http and spec.os`);
    else configs.push({ ...spec, name });
  }
  return { configs, problems };
}
