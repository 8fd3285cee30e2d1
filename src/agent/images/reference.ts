// An OCI image reference, host[:port]/repository[:tag][@sha256:digest], read strictly. Granary
// has no default registry: a reference must name its registry host, so an image never comes
// from somewhere the pod's author did not write down.
export class ImageError extends Error {
  /** Kubernetes' waiting reasons: InvalidImageName, ErrImagePull (a try failed), ImagePullBackOff (waiting for the next). */
  readonly reason: 'InvalidImageName' | 'ErrImagePull' | 'ImagePullBackOff';
  constructor(reason: ImageError['reason'], message: string) {
    super(message);
    this.name = 'ImageError';
    this.reason = reason;
  }
}

export interface ImageReference {
  /** host or host:port */
  registry: string;
  repository: string;
  tag?: string;
  /** sha256:<64 hex> */
  digest?: string;
}

const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$|^\[[0-9a-fA-F:.]+\](?::[0-9]{1,5})?$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImageReference(image: string): ImageReference {
  const invalid = (why: string) => new ImageError('InvalidImageName', `image ${JSON.stringify(image.slice(0, 300))} ${why}; write it as host[:port]/repository:tag or host[:port]/repository@sha256:<digest>`);
  if (image.length === 0 || image.length > 1024 || /\s/.test(image)) throw invalid('is empty, too long or contains spaces');
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid('has a digest that is not sha256: followed by 64 lowercase hex digits');
  }
  const slash = rest.indexOf('/');
  if (slash < 0) throw invalid('names no registry host');
  const registry = rest.slice(0, slash);
  if (!HOST.test(registry) || !(/[.:[]/.test(registry) || registry === 'localhost')) {
    throw invalid(`does not start with a registry host (a name with a dot or a port, or localhost), found ${JSON.stringify(registry)}`);
  }
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`has an invalid tag ${JSON.stringify(tag)}`);
  }
  if (path.length === 0 || path.length > 255 || !path.split('/').every((c) => COMPONENT.test(c))) {
    throw invalid(`has an invalid repository ${JSON.stringify(path)} (lowercase letters, digits and separators)`);
  }
  if (!tag && !digest) throw invalid('names neither a tag nor a digest (there is no implicit latest)');
  return { registry, repository: path, tag, digest };
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The reference pinned to one manifest: what is pulled and run, so a moved tag cannot change it midway. */
export function pinnedReference(ref: ImageReference, digest: string): string {
  return `${ref.registry}/${ref.repository}@${digest}`;
}
