// The content hash Kubernetes uses for OpenAPI documents: sha512, upper-case hex. It is both the
// `hash` query parameter of a v3 document's URL and the document's ETag.
import { createHash } from 'node:crypto';

export function contentHash(content: string | Uint8Array): string {
  return createHash('sha512').update(content).digest('hex').toUpperCase();
}
