// Images as files: an OCI image layout directory (oci-layout, index.json, blobs/sha256/...)
// made from root filesystem tarballs, and pushed from there to a registry. `granary image build`
// writes one; `--push` and the tests' registries take it from there.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { arch } from 'node:os';
import { MEDIA_TYPES, sha256, type RegistryClient } from './registry.ts';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
}

interface Blob { digest: string; size: number }

/** Streams `from` through `transform` into `to`, returning the digests and sizes before and after. */
async function hashCopy(from: string, to: string, compress: boolean): Promise<{ raw: Blob; stored: Blob }> {
  const rawHash = createHash('sha256');
  const storedHash = createHash('sha256');
  let rawSize = 0;
  let storedSize = 0;
  const countRaw = new Transform({ transform(chunk: Buffer, _enc, done) { rawHash.update(chunk); rawSize += chunk.length; done(null, chunk); } });
  const countStored = new Transform({ transform(chunk: Buffer, _enc, done) { storedHash.update(chunk); storedSize += chunk.length; done(null, chunk); } });
  await pipeline(createReadStream(from), countRaw, ...(compress ? [createGzip({ level: 6 })] : []), countStored, createWriteStream(to));
  return {
    raw: { digest: `sha256:${rawHash.digest('hex')}`, size: rawSize },
    stored: { digest: `sha256:${storedHash.digest('hex')}`, size: storedSize },
  };
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

async function putBlob(dir: string, data: Buffer): Promise<Blob> {
  const digest = sha256(data);
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: data.length };
}

/**
 * Writes an OCI image layout at `dir` with one gzip layer per rootfs tarball (in order) and the
 * image tagged `tag`. Returns the manifest's digest.
 */
export async function writeImageLayout(dir: string, layers: string[], config: ImageConfig, tag: string, created = new Date()): Promise<{ digest: string; size: number }> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const written: { raw: Blob; stored: Blob }[] = [];
  for (const layer of layers) {
    const temporary = join(blobs, `.layer-${written.length}.tmp`);
    const result = await hashCopy(layer, temporary, true);
    await rename(temporary, join(blobs, result.stored.digest.slice(7)));
    written.push(result);
  }
  const imageConfig = {
    created: created.toISOString(), architecture: GO_ARCH[arch()] ?? arch(), os: 'linux',
    config: {
      Env: config.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(config.entrypoint ? { Entrypoint: config.entrypoint } : {}),
      ...(config.cmd ? { Cmd: config.cmd } : {}),
      ...(config.workingDir ? { WorkingDir: config.workingDir } : {}),
      ...(config.labels ? { Labels: config.labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: written.map((w) => w.raw.digest) },
    history: written.map(() => ({ created: created.toISOString(), created_by: 'granary image build' })),
  };
  const configBlob = await putBlob(dir, Buffer.from(JSON.stringify(imageConfig)));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, ...configBlob },
    layers: written.map((w) => ({ mediaType: MEDIA_TYPES.ociLayerGzip, ...w.stored })),
  }));
  const manifestBlob = await putBlob(dir, manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex,
    manifests: [{ mediaType: MEDIA_TYPES.ociManifest, ...manifestBlob, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { digest: manifestBlob.digest, size: written.reduce((sum, w) => sum + w.stored.size, 0) };
}

export interface LayoutImage { tag: string; manifestDigest: string; manifest: Buffer; blobs: Blob[] }

/** The (single) image of a layout written by writeImageLayout. */
export async function readImageLayout(dir: string): Promise<LayoutImage> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const entry = index.manifests[0];
  if (!entry) throw new Error(`${dir} holds no image`);
  const manifest = await readFile(join(dir, 'blobs', 'sha256', entry.digest.slice(7)));
  const parsed = JSON.parse(manifest.toString('utf8')) as { config: Blob; layers: Blob[] };
  return { tag: entry.annotations?.['org.opencontainers.image.ref.name'] ?? 'latest', manifestDigest: entry.digest, manifest, blobs: [...parsed.layers, parsed.config] };
}

/** Pushes the layout's image to `repository:tag` in the client's registry; reports each blob. */
export async function pushImageLayout(dir: string, client: RegistryClient, repository: string, tag: string, progress?: (line: string) => void): Promise<string> {
  const image = await readImageLayout(dir);
  for (const blob of image.blobs) {
    const file = join(dir, 'blobs', 'sha256', blob.digest.slice(7));
    const size = (await stat(file)).size;
    const began = Date.now();
    const outcome = await client.pushBlob(repository, blob.digest, size, () => createReadStream(file));
    progress?.(`${blob.digest.slice(0, 19)} ${(size / 1024 / 1024).toFixed(1)} MiB ${outcome === 'exists' ? 'already there' : `pushed in ${((Date.now() - began) / 1000).toFixed(1)} s`}`);
  }
  return client.pushManifest(repository, tag, MEDIA_TYPES.ociManifest, image.manifest);
}
