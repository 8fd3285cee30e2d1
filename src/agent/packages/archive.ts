// Unpacking a package's .tar.gz, refusing archives that reach outside their directory. Every
// entry is checked before anything is written, and a refused archive is refused as a whole:
// absolute paths, ".." that climbs out, entries written through a symbolic link of the same
// archive, symbolic or hard links whose target lies outside, and device files or FIFOs.
// Extraction itself runs with tar's own guards in strict mode (any warning aborts), files owned
// by the agent whatever the archive says, and setuid/setgid bits dropped.
import { posix } from 'node:path';
import { list, extract } from 'tar';
import { PackageError } from './errors.ts';

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

interface Entry { path: string; type: string; linkpath?: string }

/** An entry's path without "./" and trailing slashes; paths with ".." are refused before this. */
const clean = (path: string) => posix.normalize(path).replace(/\/$/, '').replace(/^\.$/, '');

/**
 * Why a link target, relative to directory `from`, is unsafe: it leaves the package directory,
 * or it reaches a symbolic link of the archive, which could redirect it anywhere (tar refuses
 * those too, even a link to a link: packages should point links at the final file).
 */
function linkTargetProblem(from: string[], target: string, symlinks: Set<string>): string | undefined {
  const stack = [...from];
  for (const part of target.split('/').filter((p) => p !== '' && p !== '.')) {
    if (part === '..') {
      if (stack.length === 0) return 'outside the package directory';
      stack.pop();
      continue;
    }
    stack.push(part);
    if (symlinks.has(stack.join('/'))) return `through the symbolic link ${JSON.stringify(stack.join('/'))}`;
  }
  return undefined;
}

/** The first reason an entry is unsafe, given every symbolic link of the archive. */
function entryProblem(entry: Entry, symlinks: Set<string>): string | undefined {
  const { path, type } = entry;
  const name = JSON.stringify(path);
  if (!ALLOWED_TYPES.has(type)) return `${name} is a ${type} entry; packages may contain only files, directories and links`;
  if (path.includes('\0')) return `${name} contains a NUL character`;
  if (posix.isAbsolute(path)) return `${name} is an absolute path`;
  if (path.split('/').includes('..')) return `${name} climbs out of the package directory with ".."`;
  const parts = clean(path).split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join('/');
    if (symlinks.has(parent)) return `${name} would be written through the symbolic link ${JSON.stringify(parent)}`;
  }
  if (type === 'SymbolicLink' || type === 'Link') {
    const target = entry.linkpath ?? '';
    if (!target) return `${name} is a link without a target`;
    if (posix.isAbsolute(target)) return `${name} links to the absolute path ${JSON.stringify(target)}`;
    // A symbolic link resolves from its own directory; a hard link names a path from the root.
    const from = type === 'SymbolicLink' ? parts.slice(0, -1) : [];
    const problem = linkTargetProblem(from, target, symlinks);
    if (problem) return `${name} links to ${JSON.stringify(target)}, ${problem}`;
  }
  return undefined;
}

/**
 * An entry as it will be written with `strip` leading directories dropped (a hard link's target
 * too, as tar strips it), or undefined for an entry tar skips (too few components). The checks
 * apply to these paths: a link inside "pkg-1.0/" that climbs one level stays inside before the
 * strip and leaves the package after it.
 */
function stripped(entry: Entry, strip: number): Entry | undefined {
  if (strip === 0) return entry;
  // Exactly as tar strips: by "/", "." and empty components counting.
  const parts = entry.path.split('/');
  if (parts.length < strip) return undefined;
  let linkpath = entry.linkpath;
  if (entry.type === 'Link') {
    const linkParts = String(entry.linkpath).split('/');
    if (linkParts.length < strip) return undefined;
    linkpath = linkParts.slice(strip).join('/');
  }
  return { ...entry, path: parts.slice(strip).join('/'), linkpath };
}

/**
 * Checks every entry of a .tar(.gz), as it will be unpacked with `stripComponents`; rejects with
 * PackageError UnsafeArchive naming the first bad one.
 */
export async function inspectArchive(file: string, stripComponents = 0): Promise<number> {
  const entries: Entry[] = [];
  try {
    await list({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const kept = stripped({ path: entry.path, type: entry.type, linkpath: entry.linkpath }, stripComponents);
        if (kept) entries.push(kept);
        entry.resume();
      },
    });
  } catch (err) {
    throw new PackageError('UnsafeArchive', `archive ${posix.basename(file)} is not a readable .tar.gz: ${(err as Error).message}`);
  }
  if (entries.length === 0) throw new PackageError('UnsafeArchive', `archive ${posix.basename(file)} is empty`);
  // Links are judged against all links of the archive: a later one can redirect an earlier one.
  const symlinks = new Set(entries.filter((e) => e.type === 'SymbolicLink').map((e) => clean(e.path)));
  for (const entry of entries) {
    const problem = entryProblem(entry, symlinks);
    if (problem) throw new PackageError('UnsafeArchive', `archive ${posix.basename(file)} refused: ${problem}`);
  }
  return entries.length;
}

/**
 * Unpacks an inspected archive into `target` (an empty directory). `stripComponents` drops
 * leading directories, for archives that wrap everything in product-version/.
 */
export async function extractArchive(file: string, target: string, stripComponents = 0): Promise<void> {
  await inspectArchive(file, stripComponents);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  try {
    await extract({
      file, cwd: target, strict: true, strip: stripComponents,
      preserveOwner: false, uid, gid,
      // No setuid/setgid programs from a package, nothing writable by others.
      filter: (_path, entry) => {
        if ('mode' in entry && typeof entry.mode === 'number') entry.mode &= ~0o6002;
        return true;
      },
      chmod: true, processUmask: 0o022,
    });
  } catch (err) {
    throw new PackageError('UnsafeArchive', `archive ${posix.basename(file)} could not be unpacked: ${(err as Error).message}`);
  }
}
