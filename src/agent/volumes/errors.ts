// A pod's configuration that cannot be turned into files or environment, with the reason a
// kubelet would report: FailedMount for volumes and mounts (the pod waits in ContainerCreating),
// CreateContainerConfigError for a container's environment.
export type PodConfigErrorReason = 'FailedMount' | 'CreateContainerConfigError';

export class PodConfigError extends Error {
  readonly reason: PodConfigErrorReason;
  constructor(reason: PodConfigErrorReason, message: string) {
    super(message);
    this.name = 'PodConfigError';
    this.reason = reason;
  }
}
