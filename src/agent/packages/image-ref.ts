// A container image string read as a package reference: [registry/][path/]product:version. The
// registry and path are kept for messages only; repositories are chosen by priority (see
// docs/packages.md). Product and version become directory names in the package store, so both
// are checked to be single, harmless path components.
import { PackageError } from './errors.ts';

export interface PackageRef {
  /** The image string as written in the pod. */
  image: string;
  registry?: string;
  path?: string;
  product: string;
  version: string;
}

// Debian package names and image repository names share this shape.
const PRODUCT = /^[a-z0-9][a-z0-9+._-]*$/;
// Image tags plus what Debian versions use: an epoch's ':', '+' and '~'.
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.+~:-]*$/;

export function parsePackageRef(image: string): PackageRef {
  const invalid = (why: string) => new PackageError('InvalidImageName', `image ${JSON.stringify(image)} ${why}; write it as [registry/][path/]product:version`);
  if (image.trim() !== image || image === '') throw invalid('is empty or has surrounding spaces');
  if (image.includes('@')) throw invalid('is pinned by digest, which packages do not support (the repository index pins the digest)');
  const slash = image.lastIndexOf('/');
  const location = slash >= 0 ? image.slice(0, slash) : '';
  const name = image.slice(slash + 1);
  const colon = name.indexOf(':');
  if (colon < 0) throw invalid('names no version');
  const product = name.slice(0, colon);
  const version = name.slice(colon + 1);
  if (!PRODUCT.test(product) || product.length > 128) throw invalid(`has an invalid product name ${JSON.stringify(product)} (lowercase letters, digits, "+", ".", "_", "-")`);
  if (!VERSION.test(version) || version.length > 128) throw invalid(`has an invalid version ${JSON.stringify(version)}`);
  const parts = location ? location.split('/') : [];
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw invalid('has an empty or relative path component');
  // As with images, a first component with a dot or port, or "localhost", is a registry.
  const hasRegistry = parts.length > 0 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  const registry = hasRegistry ? parts.shift() : undefined;
  return { image, registry, path: parts.length ? parts.join('/') : undefined, product, version };
}

/** The store's key for a package: product and version. */
export const packageKey = (ref: Pick<PackageRef, 'product' | 'version'>) => `${ref.product}:${ref.version}`;
