// `granary image build PRODUCT:VERSION [--push REGISTRY]` and `granary image list REGISTRY`:
// product images from the Debian packages bare-metal nodes install, written as an OCI image
// layout (default ~/.granary/images/PRODUCT-VERSION) and pushed to a registry; and what a
// registry holds. Registries on loopback addresses, and those named with --insecure, are
// spoken to over plain HTTP; all others over HTTPS. A registry that wants a password gets it from
// a Docker config file (--authfile, or $REGISTRY_AUTH_FILE, as skopeo and podman take it).
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pushImageLayout, writeImageLayout } from '../agent/images/oci-layout.ts';
import { dockerConfigCredentials } from '../agent/images/manager.ts';
import { RegistryClient, type RegistryCredentials } from '../agent/images/registry.ts';
import { checkManifest, DEFAULT_IMAGE_LIMITS } from '../agent/images/manifest.ts';
import { imageRepository, PRODUCT_IMAGES } from './image/products.ts';
import { UsageError } from './process.ts';

export const IMAGE_USAGE = `  image build PRODUCT:VERSION [--output DIR] [--push REGISTRY] [--insecure] [--authfile FILE]
                                                  build a product's image from Debian packages (products: ${Object.keys(PRODUCT_IMAGES).join(', ')})
                                                  into an OCI layout, and push it to REGISTRY/granary/PRODUCT:VERSION
  image list REGISTRY [--insecure] [--authfile FILE]
                                                  the images a registry holds, with their digests and sizes
                                                  (--authfile: a Docker config such as ~/.docker/config.json or a
                                                  Secret's .dockerconfigjson, for a registry that wants a password;
                                                  default $REGISTRY_AUTH_FILE)`;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

const REGISTRY_OPTIONS = { insecure: { type: 'boolean', default: false }, authfile: { type: 'string' } } as const;

function registryClient(registry: string, options: { insecure?: boolean; authfile?: string }): RegistryClient {
  if (!/^[a-zA-Z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(registry)) throw new UsageError(`a registry is host[:port], got ${JSON.stringify(registry)}`);
  const authfile = options.authfile ?? (process.env.REGISTRY_AUTH_FILE || undefined);
  return new RegistryClient({
    registry, insecure: options.insecure || LOOPBACK.test(registry), credentials: authfile ? credentialsIn(authfile, registry) : undefined,
    credentialsHint: authfile
      ? { missing: `--authfile ${authfile}`, denied: `check the credentials for ${registry} in ${authfile}` }
      : { missing: 'give them with --authfile FILE, a Docker config file', denied: 'give credentials with --authfile FILE' },
  });
}

/** The registry's user name and password from a Docker config file; a file without them is an error, not an anonymous try. */
function credentialsIn(file: string, registry: string): RegistryCredentials {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--authfile ${file}: ${err instanceof SyntaxError ? `not JSON (${err.message})` : (err as Error).message}`);
  }
  const credentials = dockerConfigCredentials(config, registry);
  if (!credentials) throw new UsageError(`--authfile ${file} has no credentials for ${registry} (an "auths" entry "${registry}" with "auth", or "username" and "password")`);
  return credentials;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function build(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { output: { type: 'string' }, push: { type: 'string' }, ...REGISTRY_OPTIONS } });
  const [target] = positionals;
  const match = /^([a-z0-9][a-z0-9-]*):([A-Za-z0-9_.+~-]+)$/.exec(target ?? '');
  if (!match || positionals.length !== 1) throw new UsageError('granary image build takes one PRODUCT:VERSION, e.g. zookeeper:3.8.0');
  const [, product, version] = match;
  const recipe = PRODUCT_IMAGES[product];
  if (!recipe) throw new UsageError(`no image recipe for ${JSON.stringify(product)}; known: ${Object.keys(PRODUCT_IMAGES).join(', ')}`);
  if (process.getuid?.() !== 0 && product !== 'pause') throw new UsageError('building an image from Debian packages needs root (mmdebstrap installs packages into the image as root)');
  const client = values.push ? registryClient(values.push, values) : undefined;
  const output = resolve(values.output ?? join(process.env.GRANARY_HOME ?? join(homedir(), '.granary'), 'images', `${product}-${version}`));
  const began = Date.now();
  const step = (line: string) => process.stdout.write(`• [${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  step(`building ${product}:${version}: ${recipe.description}`);
  rmSync(output, { recursive: true, force: true });
  mkdirSync(output, { recursive: true });
  const tar = `${output}.rootfs.tar`;
  try {
    const { config, contents } = await recipe.build(version, tar, step);
    step(`root filesystem ${mib(statSync(tar).size)} (${contents}); compressing the layer`);
    const image = await writeImageLayout(output, [tar], config, version);
    step(`image ${image.digest}: ${mib(image.size)} compressed, in ${output}`);
  } finally {
    rmSync(tar, { force: true });
  }
  if (client) {
    const repository = imageRepository(product);
    step(`pushing to ${client.registry}/${repository}:${version}`);
    const digest = await pushImageLayout(output, client, repository, version, step);
    step(`pushed ${client.registry}/${repository}:${version}@${digest}`);
  }
  step(`done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

async function list(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: REGISTRY_OPTIONS });
  if (positionals.length !== 1) throw new UsageError('granary image list takes one REGISTRY (host[:port])');
  const client = registryClient(positionals[0], values);
  const rows: string[][] = [['IMAGE', 'DIGEST', 'SIZE']];
  for (const repository of (await client.catalog()).sort()) {
    for (const tag of (await client.tags(repository)).sort()) {
      const manifest = await client.getManifest(repository, tag);
      let size = '-';
      try {
        size = mib(checkManifest(JSON.parse(manifest.body.toString('utf8')) as Record<string, unknown>, `${repository}:${tag}`, DEFAULT_IMAGE_LIMITS).size);
      } catch {
        // An index or an odd manifest: listed without a size.
      }
      rows.push([`${client.registry}/${repository}:${tag}`, manifest.digest, size]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()}\n`);
  if (rows.length === 1) process.stdout.write(`(registry ${client.registry} holds no images)\n`);
}

export async function imageCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'build') return build(rest);
  if (sub === 'list') return list(rest);
  throw new UsageError(`granary image build|list\n${IMAGE_USAGE}`);
}

