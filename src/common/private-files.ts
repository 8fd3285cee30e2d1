// Files that hold secrets or state (a database, a service's environment, keys) are readable by
// their owner alone: mode 0600, in a directory of mode 0700. These make them so, also when they
// already exist with looser modes (left by an older version, or made by hand).
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) mode 0700, and makes an existing one 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `dir` mode 0700; an existing one loses its group and other read and write bits but keeps
 * their search bit (0711 at most), for directories that others must pass through to files of
 * their own deeper down (`granary up` keeps its node agents' roots inside the API server's).
 */
export async function ensureUnlistableDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, (await stat(dir)).mode & 0o7711);
}

export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates `path` empty if missing; either way it ends up mode 0600. */
export function ensurePrivateFileSync(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Writes `content` to a file readable by its owner alone. */
export async function writePrivateFile(path: string, content: string | Uint8Array): Promise<void> {
  await writeFile(path, content, { mode: PRIVATE_FILE_MODE });
  await chmod(path, PRIVATE_FILE_MODE);
}
