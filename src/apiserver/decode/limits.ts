// The bounds every request body is held to before any work is done on it. Kubernetes' own limits
// where it has them (body size, JSON patch operations and copied bytes); Granary's where a
// JavaScript server needs tighter ones (nesting, members), because the work after decoding
// (pruning, validation, patches, managed fields, serialisation) recurses and grows with them.
// docs/security.md lists them.

/** Request bodies over 3 MiB get 413, as in Kubernetes (--max-request-bytes). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface DecodeLimits {
  /** How deep objects and lists may nest; the body itself is level 1. */
  maxDepth: number;
  /** Object keys and list items in one body, counted together. */
  maxMembers: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxDepth: 100,
  maxMembers: 10_000,
};

/**
 * CustomResourceDefinitions carry whole OpenAPI schemas (an embedded pod template alone is
 * thousands of fields), and only cluster administrators write them.
 */
export const CRD_DECODE_LIMITS: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxMembers: 100_000 };

/** A JSON patch may hold at most this many operations (Kubernetes' limit). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** Bytes the copy operations of one JSON patch may add, as Kubernetes' JSONPatchMaxCopyBytes. */
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;

/** A YAML body that takes longer than this to decode is refused (decoding runs off the event loop). */
export const YAML_DECODE_TIMEOUT_MS = 5_000;
