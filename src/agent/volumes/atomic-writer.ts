// Writes a volume's files so that a reader sees either the whole old set or the whole new set,
// never a mix, as a kubelet does for ConfigMap and Secret volumes: the files live in a
// timestamped directory, "..data" is a symbolic link to it, and each top-level name is a link
// through "..data". An update writes a new directory and renames a new "..data" over the old
// one, which is one atomic step.
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { PodConfigError } from './errors.ts';

export interface VolumeFile { data: Buffer; mode: number }
export interface Owner { uid: number; gid: number }

const DATA_LINK = '..data';

/** Refuses paths that could leave the volume or collide with the writer's own "..names". */
export function checkVolumePath(path: string): string | undefined {
  if (path === '') return 'a file path must not be empty';
  if (posix.isAbsolute(path)) return `file path ${JSON.stringify(path)} must be relative`;
  if (path.split('/').includes('..')) return `file path ${JSON.stringify(path)} must not contain ".."`;
  if (path.startsWith('..')) return `file path ${JSON.stringify(path)} must not start with ".."`;
  if (path.includes('\0')) return `file path ${JSON.stringify(path)} contains a NUL character`;
  return undefined;
}

/**
 * The files under their clean paths, as a kubelet cleans them: "./x" and "a//b/" name "x" and
 * "a/b". Uncleaned, "./x" made "." a top-level name of the volume, and the volume's own directory
 * was removed as a stale entry. A path that names no file, or two that name the same, are refused.
 */
function normalisedPaths(files: Map<string, VolumeFile>): Map<string, VolumeFile> {
  const out = new Map<string, VolumeFile>();
  for (const [path, file] of files) {
    const problem = checkVolumePath(path);
    if (problem) throw new PodConfigError('FailedMount', problem);
    const clean = posix.normalize(path).replace(/\/+$/, '');
    if (clean === '.' || clean === '' || clean.startsWith('..')) throw new PodConfigError('FailedMount', `file path ${JSON.stringify(path)} names no file inside the volume`);
    if (out.has(clean)) throw new PodConfigError('FailedMount', `file paths name ${JSON.stringify(clean)} twice`);
    out.set(clean, file);
  }
  return out;
}

async function readTree(dir: string, prefix = ''): Promise<Map<string, VolumeFile>> {
  const files = new Map<string, VolumeFile>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      for (const [p, f] of await readTree(join(dir, entry.name), path)) files.set(p, f);
    } else {
      const info = await lstat(join(dir, entry.name));
      files.set(path, { data: await readFile(join(dir, entry.name)), mode: info.mode & 0o7777 });
    }
  }
  return files;
}

function sameFiles(a: Map<string, VolumeFile>, b: Map<string, VolumeFile>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, file] of a) {
    const other = b.get(path);
    if (!other || other.mode !== file.mode || !other.data.equals(file.data)) return false;
  }
  return true;
}

/**
 * Makes `dir` hold exactly `files` (paths relative to it). Returns false, touching nothing, when
 * it already does; true after an update.
 */
export async function writeVolume(dir: string, given: Map<string, VolumeFile>, owner?: Owner): Promise<boolean> {
  const files = normalisedPaths(given);
  const paths = [...files.keys()].sort();
  for (let i = 0; i + 1 < paths.length; i++) {
    if (paths[i + 1].startsWith(`${paths[i]}/`)) throw new PodConfigError('FailedMount', `file path ${JSON.stringify(paths[i])} is also the directory of ${JSON.stringify(paths[i + 1])}`);
  }
  await mkdir(dir, { recursive: true });
  const current = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  if (current !== undefined && sameFiles(files, await readTree(join(dir, current)).catch(() => new Map()))) return false;

  const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '');
  const payload = `..${stamp}.${randomBytes(4).toString('hex')}`;
  const payloadDir = join(dir, payload);
  await mkdir(payloadDir, { mode: 0o755 });
  if (owner) await chown(payloadDir, owner.uid, owner.gid);
  for (const [path, file] of files) {
    const target = join(payloadDir, path);
    const created = await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    if (owner && created) {
      for (let dir = dirname(target); dir.length >= created.length; dir = dirname(dir)) await chown(dir, owner.uid, owner.gid);
    }
    await writeFile(target, file.data, { mode: file.mode });
    await chmod(target, file.mode);
    if (owner) await chown(target, owner.uid, owner.gid);
  }
  const nextLink = join(dir, `${DATA_LINK}_tmp`);
  await rm(nextLink, { force: true });
  await symlink(payload, nextLink);
  await rename(nextLink, join(dir, DATA_LINK));

  const topLevel = new Set([...files.keys()].map((p) => p.split('/')[0]));
  for (const name of topLevel) {
    const link = join(dir, name);
    const existing = await readlink(link).catch(() => undefined);
    if (existing === `${DATA_LINK}/${name}`) continue;
    await rm(link, { recursive: true, force: true });
    await symlink(`${DATA_LINK}/${name}`, link);
  }
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..') && entry !== DATA_LINK && entry !== payload) await rm(join(dir, entry), { recursive: true, force: true });
    else if (!entry.startsWith('..') && !topLevel.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
  }
  return true;
}
