// hostPath volumes, confined to the node's volume root ({{volumeroot}} = <agent root>/volumes):
// directories that outlive the pods using them, like local persistent volumes, so a stateful
// service (a ZooKeeper server, say) keeps its data when its pod is deleted and created again on
// the same node. The agent creates them and never removes them; whoever owns the data (an
// operator, with a pod of its own) cleans up.
//
// A path is accepted only when it lies strictly inside the volume root: lexically (no "..", no
// path elsewhere) and on disk (the real path of what exists, followed through symbolic links, is
// inside the real volume root). The directory is opened without following a final symbolic link
// and its real path read back from the open descriptor before its mode and owner are set, so a
// link placed there by a service cannot turn the agent's chmod or chown onto another directory.
import { constants } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Volume } from '../pod-types.ts';
import type { Owner } from './atomic-writer.ts';
import { PodConfigError } from './errors.ts';
import type { PathVariable } from './layout.ts';
import { substituteVariables } from './substitute.ts';

/** Mode of a hostPath directory the agent creates: the services' user and group only. */
export const HOST_PATH_MODE = 0o750;

/** hostPath types granary nodes accept: a directory, created when missing unless "Directory". */
const ACCEPTED_TYPES: ReadonlySet<string> = new Set(['', 'DirectoryOrCreate', 'Directory']);

export interface HostDirectory {
  /** The directory on the host, normalised. */
  path: string;
  /** "Directory": it must exist already. */
  mustExist: boolean;
}

const failedMount = (message: string) => new PodConfigError('FailedMount', message);

const strictlyInside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** Where a hostPath volume points, checked without touching the disk. */
export function resolveHostPath(volume: Volume, variables: Record<PathVariable, string>): HostDirectory {
  const { path = '', type = '' } = volume.hostPath ?? {};
  const root = variables.volumeroot;
  const allowed = `strictly inside {{volumeroot}} (${root}), for example "{{volumeroot}}/<product>/<name>"`;
  if (!ACCEPTED_TYPES.has(type)) {
    throw failedMount(`volume ${volume.name}: hostPath type ${JSON.stringify(type)} is not supported on granary nodes; use DirectoryOrCreate (or Directory for a directory that must exist) ${allowed}`);
  }
  const expanded = substituteVariables(path, variables);
  if (!isAbsolute(expanded) || expanded.includes('\0') || expanded.split('/').includes('..')) {
    throw failedMount(`volume ${volume.name}: hostPath ${JSON.stringify(path)} must be an absolute path without ".." ${allowed}`);
  }
  const resolved = resolve(expanded);
  if (!strictlyInside(root, resolved)) {
    throw failedMount(`volume ${volume.name}: hostPath ${JSON.stringify(path)} is outside the node's volume root; granary nodes only allow hostPath volumes ${allowed}`);
  }
  return { path: resolved, mustExist: type === 'Directory' };
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Checks on disk, before anything is written, that the directory (or, while it does not exist,
 * its nearest existing ancestor) really is inside the volume root, following symbolic links.
 */
export async function checkHostDirectory(volume: string, dir: HostDirectory, volumeRoot: string): Promise<void> {
  const realRoot = await realpath(volumeRoot).catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
  if (realRoot === undefined) {
    // Nothing below a missing root exists yet, so nothing there can be a link.
    if (dir.mustExist) throw failedMount(`volume ${volume}: hostPath ${dir.path} (type Directory) does not exist; create it or use type DirectoryOrCreate`);
    return;
  }
  let existing = dir.path;
  while (existing !== volumeRoot && !(await lstat(existing).then(() => true, (err: unknown) => { if (isMissing(err)) return false; throw err; }))) {
    existing = dirname(existing);
  }
  const real = await realpath(existing);
  const escapes = existing === dir.path ? !strictlyInside(realRoot, real) : real !== realRoot && !strictlyInside(realRoot, real);
  if (escapes) {
    throw failedMount(`volume ${volume}: hostPath ${dir.path} leads to ${real} through a symbolic link, outside the node's volume root ${volumeRoot}; hostPath volumes must stay strictly inside {{volumeroot}}`);
  }
  if (existing === dir.path) {
    if (!(await lstat(real)).isDirectory()) throw failedMount(`volume ${volume}: hostPath ${dir.path} exists and is not a directory`);
  } else if (dir.mustExist) {
    throw failedMount(`volume ${volume}: hostPath ${dir.path} (type Directory) does not exist; create it or use type DirectoryOrCreate`);
  }
}

/**
 * Creates the directory if missing (mode 0750, owned by `owner` when given) and returns its real
 * path, which mounts link to. An existing directory keeps its mode, owner and contents.
 */
export async function ensureHostDirectory(volume: string, dir: HostDirectory, volumeRoot: string, owner: Owner | undefined): Promise<string> {
  await checkHostDirectory(volume, dir, volumeRoot);
  await mkdir(volumeRoot, { recursive: true, mode: 0o755 });
  const created = (await mkdir(dir.path, { recursive: true })) !== undefined;
  const realRoot = await realpath(volumeRoot);
  let handle;
  try {
    handle = await open(dir.path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    throw failedMount(`volume ${volume}: hostPath ${dir.path} cannot be opened as a directory: ${(err as Error).message}`);
  }
  try {
    // What the descriptor really is, whatever happened to the path since it was checked.
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!strictlyInside(realRoot, real)) {
      throw failedMount(`volume ${volume}: hostPath ${dir.path} leads to ${real}, outside the node's volume root ${volumeRoot}; hostPath volumes must stay strictly inside {{volumeroot}}`);
    }
    if (created) {
      await handle.chmod(HOST_PATH_MODE);
      if (owner) await handle.chown(owner.uid, owner.gid);
    }
    return real;
  } finally {
    await handle.close();
  }
}
