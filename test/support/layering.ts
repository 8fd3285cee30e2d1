// The layering of docs/architecture.md as data, and a check of a source tree's imports against
// it: a module may import its own layer and the layers below it, nothing else. Imports are read
// with TypeScript's own pre-processor (static imports, re-exports, import types and dynamic
// imports alike), not with a regular expression.
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';

/** Layer → the other layers its modules may import. Every folder directly under src/ must be one. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  common: [],
  api: ['common'],
  client: ['api', 'common'],
  runtime: ['client', 'api', 'common'],
  agent: ['runtime', 'client', 'api', 'common'],
  operators: ['runtime', 'client', 'api', 'common'],
  cli: ['operators', 'agent', 'apiserver', 'runtime', 'client', 'api', 'common'],
  apiserver: ['api', 'common'],
};

/** Modules of src/api do no I/O: these are the built-in modules that would. */
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|tls|http|https|http2|child_process|dgram|dns|worker_threads|cluster)$/;

export interface Violation {
  file: string;
  imports: string;
  why: string;
}

/**
 * Every import in `files` (path relative to the repository root → source) that breaks the
 * layering. Tests (*.test.ts) may import test support code besides.
 */
export function layeringViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    const layer = layerOf(file);
    if (layer === undefined) continue;
    if (!(layer in LAYERS)) {
      violations.push({ file, imports: '', why: `${layer ? `src/${layer}` : 'src/ itself'} is no layer of docs/architecture.md: put the module in one, or add the layer there and to LAYERS` });
      continue;
    }
    for (const { fileName: specifier } of ts.preProcessFile(source, true, true).importedFiles) {
      if (layer === 'api' && IO_MODULES.test(specifier)) {
        violations.push({ file, imports: specifier, why: 'src/api does no I/O' });
        continue;
      }
      if (!specifier.startsWith('.')) continue;
      const target = normalize(join(dirname(file), specifier)).split(sep).join('/');
      const targetLayer = layerOf(target);
      if (targetLayer === layer) continue;
      if (targetLayer !== undefined && LAYERS[layer].includes(targetLayer)) continue;
      if (file.endsWith('.test.ts') && target.startsWith('test/support/')) continue;
      violations.push({
        file, imports: target,
        why: targetLayer === undefined ? `src/${layer} imports code outside src/` : `src/${layer} may import ${LAYERS[layer].map((l) => `src/${l}`).join(', ') || 'nothing else'}, not src/${targetLayer}`,
      });
    }
  }
  return violations;
}

/** The layer of a path relative to the repository root: the folder under src/, or undefined outside src/. */
function layerOf(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'src') return undefined;
  // A module directly in src/ belongs to no layer.
  return parts.length > 2 ? parts[1] : '';
}

/** Paths relative to `root`, with forward slashes. */
export function relativePath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
