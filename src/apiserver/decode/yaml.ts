// YAML request data, decoded within bounds. The yaml library composes documents recursively (a
// document nested 20,000 levels aborted the process) and its duplicate-key check is quadratic,
// so: a lexer pass first bounds flow and same-line nesting, the concrete syntax tree (built
// without recursion) is then measured for depth and members, and only a bounded tree is
// composed, without the library's key check; duplicates and forbidden keys are found here in one
// pass. This runs in a worker (yaml-pool.ts), which bounds its time and memory as well.
import { Composer, CST, isAlias, isMap, isScalar, isSeq, Lexer, Parser, type Document, type Node } from 'yaml';
import { errors, type ApiError } from '../errors.ts';
import type { Decoded } from './json.ts';
import { FORBIDDEN_KEY } from './keys.ts';
import type { DecodeLimits } from './limits.ts';

/** Aliases a document may expand (billion laughs). */
const MAX_ALIAS_COUNT = 100;

export function decodeYamlText(text: string, limits: DecodeLimits): Decoded {
  checkLexicalNesting(text, limits);
  const tokens = [...new Parser().parse(text)];
  checkTree(tokens, limits);
  const documents = [...new Composer({ uniqueKeys: false, prettyErrors: true }).compose(tokens)] as Document.Parsed[];
  if (documents.length > 1) throw errors.badRequest('the request body holds several YAML documents; send one object per request');
  const doc = documents[0];
  if (!doc) return { value: null, duplicates: [] };
  if (doc.errors.length > 0) throw invalid(doc.errors[0].message);
  const duplicates: string[] = [];
  checkKeys(doc.contents, '', duplicates);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw invalid((err as Error).message);
  }
  checkJsonValue(value);
  return { value, duplicates };
}

/**
 * Tags can make YAML values JSON has no form for (!!binary a byte array, !!set a Set, !!timestamp
 * a Date): what a request body holds must be JSON. Walked with an explicit stack.
 */
function checkJsonValue(root: unknown): void {
  const stack = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') continue;
    if (Array.isArray(v)) stack.push(...v);
    else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) stack.push(...Object.values(v));
    else throw invalid(`a value of type ${v?.constructor?.name ?? typeof v} (from a YAML tag) has no JSON form; send plain strings, numbers, booleans, lists and maps`);
  }
}

function invalid(message: string): ApiError {
  return errors.badRequest(`error decoding YAML: ${message}`);
}

function tooDeep(limits: DecodeLimits): ApiError {
  return invalid(`objects and lists nest deeper than ${limits.maxDepth} levels`);
}

/**
 * Flow collections ([ and {) and block indicators on one line (`- - - x`) nest without any
 * indentation, so a short text can nest deeply: the lexer (which does not recurse) counts them.
 */
function checkLexicalNesting(text: string, limits: DecodeLimits): void {
  let flow = 0;
  let onLine = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    if (scalarNext) {
      scalarNext = false; // a scalar's source, whatever characters it holds
      continue;
    }
    switch (CST.tokenType(token)) {
      case 'scalar':
        scalarNext = true;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        flow++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        flow = Math.max(0, flow - 1);
        break;
      case 'newline':
        onLine = 0;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        if (flow === 0) onLine++;
        break;
      default:
    }
    if (flow + onLine > limits.maxDepth) throw tooDeep(limits);
  }
}

/** Depth and member count of the concrete syntax tree, walked with an explicit stack. */
function checkTree(tokens: CST.Token[], limits: DecodeLimits): void {
  const stack: { token: CST.Token; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  let members = 0;
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    switch (token.type) {
      case 'document':
        if (token.value) stack.push({ token: token.value, depth });
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > limits.maxDepth) throw tooDeep(limits);
        members += token.items.length;
        if (members > limits.maxMembers) throw errors.tooLarge(`error decoding YAML: the body holds more than ${limits.maxMembers} keys and list items`);
        for (const item of token.items as { key?: CST.Token | null; value?: CST.Token }[]) {
          if (item.key) stack.push({ token: item.key, depth: depth + 1 });
          if (item.value) stack.push({ token: item.value, depth: depth + 1 });
        }
        break;
      }
      case 'block-scalar':
        for (const prop of token.props) stack.push({ token: prop, depth });
        break;
      default:
    }
  }
}

/**
 * Finds duplicate keys (by their string form, as they become JSON) and refuses forbidden keys and
 * numbers JSON cannot hold (.inf, 1e400).
 */
function checkKeys(node: Node | null, path: string, duplicates: string[]): void {
  if (isScalar(node) && typeof node.value === 'number' && !Number.isFinite(node.value)) {
    throw invalid(`the number ${node.source ?? String(node.value)} at ${path || 'the top level'} is out of range`);
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => checkKeys(item as Node, `${path}[${i}]`, duplicates));
    return;
  }
  if (!isMap(node)) return;
  const seen = new Set<string>();
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
    if (keyNode !== null && !isScalar(keyNode) && !isAlias(keyNode)) throw invalid(`a key at ${path || 'the top level'} is a list or map; keys must be strings`);
    const key = String(isScalar(keyNode) ? keyNode.value : keyNode === null ? '' : keyNode.source);
    const at = path ? `${path}.${key}` : key;
    if (key === FORBIDDEN_KEY) throw invalid(`the key "${FORBIDDEN_KEY}" (at ${at}) is not allowed in request data`);
    if (seen.has(key)) duplicates.push(at);
    else seen.add(key);
    checkKeys(pair.value as Node | null, at, duplicates);
  }
}
