// Where a pod's files live on the host, and the variables configuration uses to name those places.
//
//   <agent root>/pods/<pod uid>/
//     volumes/<volume name>/   rendered ConfigMap, Secret, downwardAPI and emptyDir volumes
//     config/                  {{configroot}}: where containers mount configuration
//     log/                     {{logroot}}
//     data/                    {{dataroot}}
//   <agent root>/volumes/      {{volumeroot}}: hostPath volumes, kept when their pods go away
//
// A container's volumeMounts may only point into config, log or data, and a hostPath volume only
// into {{volumeroot}}: a pod never places files anywhere else on the host.
import { join } from 'node:path';
import { PodConfigError } from './errors.ts';

export interface PodPaths {
  pod: string;
  volumes: string;
  config: string;
  log: string;
  data: string;
  /** {{volumeroot}}: the node's directory for data that outlives pods (hostPath volumes). */
  volumeRoot: string;
}

export type PathVariable = 'packageroot' | 'configroot' | 'logroot' | 'dataroot' | 'volumeroot';

export function podPaths(agentRoot: string, podUid: string): PodPaths {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(podUid)) throw new PodConfigError('FailedMount', `pod UID ${JSON.stringify(podUid)} cannot name a directory`);
  const pod = join(agentRoot, 'pods', podUid);
  return {
    pod, volumes: join(pod, 'volumes'), config: join(pod, 'config'), log: join(pod, 'log'), data: join(pod, 'data'),
    volumeRoot: join(agentRoot, 'volumes'),
  };
}

/** The values of {{packageroot}}, {{configroot}}, {{logroot}}, {{dataroot}} and {{volumeroot}} for a container. */
export function pathVariables(paths: PodPaths, packageRoot: string): Record<PathVariable, string> {
  return { packageroot: packageRoot, configroot: paths.config, logroot: paths.log, dataroot: paths.data, volumeroot: paths.volumeRoot };
}
