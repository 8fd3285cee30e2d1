// Why a package could not be provided, as a value the agent shows in the container's waiting
// state (Kubernetes shows ErrImagePull and friends there; these reasons say more precisely what
// went wrong and the messages say what to do).

export type PackageErrorReason =
  /** The image string does not name a product and version. */
  | 'InvalidImageName'
  /** No repository has this product at this version. */
  | 'PackageNotFound'
  /** The archive's sha256 is not the one the repository's index promises. */
  | 'DigestMismatch'
  /** The archive would write outside its directory, link out of it, or create device files. */
  | 'UnsafeArchive'
  /** Repositories could not be reached or answered with errors (after retries). */
  | 'RepositoryUnavailable'
  /** The operating system's package manager failed to install the package. */
  | 'InstallFailed';

export class PackageError extends Error {
  readonly reason: PackageErrorReason;
  constructor(reason: PackageErrorReason, message: string) {
    super(message);
    this.name = 'PackageError';
    this.reason = reason;
  }
}

export const isPackageError = (err: unknown): err is PackageError => err instanceof PackageError;
