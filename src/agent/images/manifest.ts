// What a registry says an image is, checked before anything is pulled: an index narrowed to this
// machine's platform, a manifest whose descriptors are well-formed (known media types, sha256
// digests, sizes), within the node's limits on layer count and total size. The result is the
// image pinned to its manifest digest, which is what the container runtime is asked to pull;
// the runtime then checks every blob it fetches against these digests.
import { arch } from 'node:os';
import { DIGEST, ImageError, pinnedReference, type ImageReference } from './reference.ts';
import { MEDIA_TYPES, type RegistryClient } from './registry.ts';

export interface ImageLimits {
  maxLayers: number;
  /** Sum of the compressed layer sizes the manifest declares. */
  maxImageBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxLayers: 128, maxImageBytes: 8 * 1024 ** 3 };

export interface ResolvedImage {
  /** registry/repository@sha256:... of the manifest (or index) the reference names. */
  pinned: string;
  digest: string;
  /** Compressed size of the platform's layers. */
  size: number;
  layers: number;
}

interface Descriptor { mediaType: string; digest: string; size: number; platform?: { os?: string; architecture?: string } }

const LAYER_TYPES = new Set<string>([MEDIA_TYPES.ociLayer, MEDIA_TYPES.ociLayerGzip, MEDIA_TYPES.ociLayerZstd, MEDIA_TYPES.dockerLayerGzip]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

const bad = (what: string, why: string) => new ImageError('ErrImagePull', `${what} is not a valid image manifest: ${why}`);

function descriptor(value: unknown, what: string, limit: number): Descriptor {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(what, 'a descriptor is not an object');
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType.length > 255) throw bad(what, 'a descriptor has no media type');
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) throw bad(what, `a descriptor has digest ${JSON.stringify(String(d.digest).slice(0, 80))}, not sha256:<64 hex digits>`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0 || d.size > limit) throw bad(what, `descriptor ${d.digest} declares an invalid size ${String(d.size).slice(0, 40)}`);
  const platform = d.platform && typeof d.platform === 'object' ? d.platform as Descriptor['platform'] : undefined;
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, platform };
}

function parse(body: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw bad(what, 'it is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(what, 'it is not a JSON object');
  const manifest = value as Record<string, unknown>;
  if (manifest.schemaVersion !== 2) throw bad(what, `schemaVersion is ${JSON.stringify(manifest.schemaVersion)}, not 2`);
  return manifest;
}

/** The manifest of an index that runs here: linux and this machine's architecture. */
export function selectPlatform(index: Record<string, unknown>, what: string, machine = GO_ARCH[arch()] ?? arch()): Descriptor {
  const list = index.manifests;
  if (!Array.isArray(list) || list.length === 0 || list.length > 256) throw bad(what, 'the index lists no manifests (or more than 256)');
  const descriptors = list.map((d) => descriptor(d, what, 4 * 1024 * 1024));
  const match = descriptors.find((d) => d.platform?.os === 'linux' && d.platform?.architecture === machine)
    ?? (descriptors.length === 1 && !descriptors[0].platform ? descriptors[0] : undefined);
  if (!match) {
    const offered = descriptors.map((d) => `${d.platform?.os ?? '?'}/${d.platform?.architecture ?? '?'}`).join(', ');
    throw new ImageError('ErrImagePull', `${what} has no image for linux/${machine} (it offers ${offered})`);
  }
  return match;
}

/** Checks an image manifest's config and layers against the limits; returns the layers' total size. */
export function checkManifest(manifest: Record<string, unknown>, what: string, limits: ImageLimits): { size: number; layers: number } {
  const config = descriptor(manifest.config, what, 1024 * 1024);
  if (!CONFIG_TYPES.has(config.mediaType)) throw bad(what, `its config has media type ${config.mediaType}`);
  const layers = manifest.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw bad(what, 'it has no layers');
  if (layers.length > limits.maxLayers) throw new ImageError('ErrImagePull', `${what} has ${layers.length} layers; this node accepts at most ${limits.maxLayers}`);
  let size = 0;
  for (const layer of layers) {
    const d = descriptor(layer, what, limits.maxImageBytes);
    if (!LAYER_TYPES.has(d.mediaType)) throw bad(what, `layer ${d.digest} has media type ${d.mediaType}, which is not a tar layer this node unpacks`);
    size += d.size;
  }
  if (size > limits.maxImageBytes) throw new ImageError('ErrImagePull', `${what} is ${size} bytes compressed; this node accepts images up to ${limits.maxImageBytes} bytes`);
  return { size, layers: layers.length };
}

/** Looks the image up in its registry and checks it, without downloading any layer. */
export async function resolveImage(client: RegistryClient, ref: ImageReference, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ResolvedImage> {
  const name = `${ref.registry}/${ref.repository}`;
  const top = await client.getManifest(ref.repository, ref.digest ?? ref.tag!);
  const what = `image ${name}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`;
  let document = parse(top.body, what);
  const type = top.mediaType || (typeof document.mediaType === 'string' ? document.mediaType : '');
  if (type === MEDIA_TYPES.ociIndex || type === MEDIA_TYPES.dockerList || (!type && Array.isArray(document.manifests))) {
    const chosen = selectPlatform(document, what);
    const platform = await client.getManifest(ref.repository, chosen.digest);
    document = parse(platform.body, `${what} (${chosen.digest})`);
  } else if (type && type !== MEDIA_TYPES.ociManifest && type !== MEDIA_TYPES.dockerManifest) {
    throw bad(what, `its media type is ${type.slice(0, 100)}`);
  }
  const { size, layers } = checkManifest(document, what, limits);
  return { pinned: pinnedReference(ref, top.digest), digest: top.digest, size, layers };
}
