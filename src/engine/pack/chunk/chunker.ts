/**
 * Chunk: cut a file into pieces that follow its syntax tree.
 *
 * Each top-level definition (function, class, …) becomes a chunk with its symbol name, kind and
 * line range. A node larger than MAX_CHUNK_CHARS is split into its children (a class into its
 * methods), recursively, and a leaf that is still too large is cut by lines. Small neighbours
 * (imports, one-line constants) are merged until they reach MIN_CHUNK_CHARS. Lines between nodes
 * (comments, decorators, blank lines) belong to the chunk that follows them, so doc comments stay
 * with their function and the chunks of a file tile it exactly: every line in exactly one chunk.
 *
 * Also derived from the same walk: the outline (each definition's signature, for files that are
 * shown only in summary) and the list of defined symbols (for the repository map).
 */
import type { ChunkInfo, ChunkKind, OutlineLine } from '../types.js';
import type { LanguageSpec } from './languages.js';
import { namedChildren, type SyntaxNode } from './parser.js';

export const MAX_CHUNK_CHARS = 4000;
export const MIN_CHUNK_CHARS = 600;
const LINE_CHUNK_LINES = 80;
const MAX_SIGNATURE_CHARS = 200;
const MAX_OUTLINE_DEPTH = 2;

export interface ChunkedFile {
  chunks: ChunkInfo[];
  outline: OutlineLine[];
  definitions: string[];
}

/** Start offset of each line (0-based) plus a final entry at text.length + 1. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  // A trailing newline does not start another line.
  if (starts.length > 1 && starts[starts.length - 1] === text.length) starts.pop();
  starts.push(text.length + 1);
  return starts;
}

interface Unit {
  start: number; // 0-based rows, inclusive
  end: number;
  kind: ChunkKind;
  symbols: string[];
}

interface Definition {
  node: SyntaxNode;
  kind: ChunkKind;
  name: string | undefined;
}

export function chunkTree(root: SyntaxNode, text: string, spec: LanguageSpec): ChunkedFile {
  const starts = lineStarts(text);
  const lineCount = starts.length - 1;
  const sizeOf = (start: number, end: number) => starts[end + 1]! - starts[start]!;
  const units: Unit[] = [];

  const walk = (node: SyntaxNode, prefix: string) => {
    for (const child of namedChildren(node)) {
      const def = classify(child, spec, text);
      const start = child.startPosition.row;
      const end = lastRow(child);
      const qualified = def?.name ? (prefix ? `${prefix}.${def.name}` : def.name) : undefined;
      if (sizeOf(start, end) <= MAX_CHUNK_CHARS || namedChildren(child).length === 0) {
        units.push({ start, end, kind: def?.kind ?? 'block', symbols: qualified ? [qualified] : [] });
      } else {
        const before = units.length;
        // Into the definition itself, not a wrapper around it (export, decorators), to name it once.
        walk(def?.node ?? child, qualified ?? prefix);
        // The header of a split definition (class line, signature) joins the first piece; name it.
        if (units.length === before)
          units.push({ start, end, kind: def?.kind ?? 'block', symbols: qualified ? [qualified] : [] });
        else if (qualified) units[before]!.symbols.unshift(qualified);
      }
    }
  };
  walk(root, '');

  const chunks = mergeSmall(tile(units, lineCount), sizeOf).flatMap((u) => splitLarge(u, sizeOf));
  const outline: OutlineLine[] = [];
  const definitions = new Set<string>();
  collectDefinitions(root, spec, text, 0, outline, definitions);
  return { chunks: chunks.map(toChunkInfo), outline, definitions: [...definitions].sort() };
}

/** Chunks for a file without a grammar, or one that failed to parse: fixed runs of lines. */
export function chunkLines(text: string): ChunkInfo[] {
  const starts = lineStarts(text);
  const lineCount = starts.length - 1;
  const sizeOf = (start: number, end: number) => starts[end + 1]! - starts[start]!;
  const out: ChunkInfo[] = [];
  for (let start = 0; start < lineCount; start += LINE_CHUNK_LINES) {
    const unit: Unit = {
      start,
      end: Math.min(lineCount, start + LINE_CHUNK_LINES) - 1,
      kind: 'lines',
      symbols: [],
    };
    for (const piece of splitLarge(unit, sizeOf)) out.push(toChunkInfo(piece));
  }
  return out;
}

/** A node ending at column 0 ends on the previous line (its trailing newline). */
function lastRow(node: SyntaxNode): number {
  const { row, column } = node.endPosition;
  return column === 0 && row > node.startPosition.row ? row - 1 : row;
}

/** Makes units tile [0, lineCount): gaps join the following unit, overlaps are trimmed, the tail joins the last. */
function tile(units: Unit[], lineCount: number): Unit[] {
  units.sort((a, b) => a.start - b.start);
  const out: Unit[] = [];
  let next = 0;
  for (const u of units) {
    if (u.end < next) {
      // Entirely on lines already taken (two statements on one line): its symbols join that chunk.
      out[out.length - 1]?.symbols.push(...u.symbols);
      continue;
    }
    out.push({ ...u, start: next, end: Math.min(u.end, lineCount - 1) });
    next = Math.min(u.end, lineCount - 1) + 1;
  }
  if (out.length === 0)
    return lineCount > 0 ? [{ start: 0, end: lineCount - 1, kind: 'block', symbols: [] }] : [];
  if (next < lineCount) out[out.length - 1]!.end = lineCount - 1;
  return out;
}

function mergeSmall(units: Unit[], sizeOf: (s: number, e: number) => number): Unit[] {
  const out: Unit[] = [];
  for (const u of units) {
    const prev = out[out.length - 1];
    if (
      prev &&
      (sizeOf(prev.start, prev.end) < MIN_CHUNK_CHARS || sizeOf(u.start, u.end) < MIN_CHUNK_CHARS) &&
      sizeOf(prev.start, u.end) <= MAX_CHUNK_CHARS
    ) {
      prev.end = u.end;
      if (prev.kind !== u.kind) prev.kind = prev.symbols.length === 0 ? u.kind : 'block';
      prev.symbols.push(...u.symbols);
    } else {
      out.push({ ...u, symbols: [...u.symbols] });
    }
  }
  return out;
}

/** Cuts a unit that is still too large into line runs of at most MAX_CHUNK_CHARS (a line longer than that stays whole). */
function splitLarge(u: Unit, sizeOf: (s: number, e: number) => number): Unit[] {
  if (sizeOf(u.start, u.end) <= MAX_CHUNK_CHARS) return [u];
  const out: Unit[] = [];
  let start = u.start;
  for (let row = u.start; row <= u.end; row++) {
    if (row > start && sizeOf(start, row) > MAX_CHUNK_CHARS) {
      out.push({ ...u, start, end: row - 1 });
      start = row;
    }
  }
  out.push({ ...u, start, end: u.end });
  return out;
}

function toChunkInfo(u: Unit): ChunkInfo {
  return { startLine: u.start + 1, endLine: u.end + 1, kind: u.kind, symbols: [...new Set(u.symbols)] };
}

function classify(node: SyntaxNode, spec: LanguageSpec, text: string): Definition | undefined {
  if (spec.wrappers?.includes(node.type)) {
    const inner =
      node.childForFieldName('declaration') ??
      node.childForFieldName('definition') ??
      namedChildren(node).find((c) => spec.definitions[c.type]);
    return inner ? classify(inner, spec, text) : undefined;
  }
  const kind = spec.definitions[node.type];
  return kind ? { node, kind, name: nameOf(node, text) } : undefined;
}

/** The defined name: the `name` field in most grammars, found through declarators in C/C++ and JS variables. */
function nameOf(node: SyntaxNode, text: string, depth = 0): string | undefined {
  if (depth > 6) return undefined;
  const field =
    node.childForFieldName('name') ??
    node.childForFieldName('declarator') ??
    node.childForFieldName('key') ??
    node.childForFieldName('type');
  if (field) {
    if (
      namedChildren(field).length === 0 ||
      (/identifier|name|^string|^key|^flow_node|^property/.test(field.type) &&
        namedChildren(field).length <= 1)
    )
      return cleanName(text.slice(field.startIndex, field.endIndex));
    return nameOf(field, text, depth + 1);
  }
  const children = namedChildren(node);
  // `const x = …` / `type Foo struct` / markdown sections: the name sits in the first child.
  const first = children[0];
  if (!first) return undefined;
  if (
    /declarator|type_spec|heading|selectors|^key$|table_header/.test(first.type) ||
    node.type === 'table' ||
    node.type === 'table_array_element'
  )
    return cleanName(text.slice(first.startIndex, first.endIndex));
  return undefined;
}

function cleanName(raw: string): string | undefined {
  const name = raw
    .replace(/^#+\s*/, '')
    .replace(/^["'`[]+|["'`\]]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80);
  return name || undefined;
}

/** The signature: the definition's text (from its wrapper's start: `export`, decorators) up to its body, on one line. */
function signatureOf(outer: SyntaxNode, node: SyntaxNode, text: string): string {
  const body = node.childForFieldName('body') ?? node.childForFieldName('value');
  const end =
    body && body.startIndex > outer.startIndex ? body.startIndex : text.indexOf('\n', node.startIndex);
  const raw = text.slice(outer.startIndex, end < 0 ? node.endIndex : Math.min(end, node.endIndex));
  const flat = raw
    .replace(/\s+/g, ' ')
    .replace(/[\s{:=(]+$/, '')
    .trim();
  return flat.length > MAX_SIGNATURE_CHARS ? `${flat.slice(0, MAX_SIGNATURE_CHARS)}…` : flat;
}

function collectDefinitions(
  node: SyntaxNode,
  spec: LanguageSpec,
  text: string,
  depth: number,
  outline: OutlineLine[],
  names: Set<string>,
): void {
  for (const child of namedChildren(node)) {
    const def = classify(child, spec, text);
    if (def) {
      if (def.name) names.add(def.name);
      outline.push({ line: child.startPosition.row + 1, depth, text: signatureOf(child, def.node, text) });
      if (depth + 1 < MAX_OUTLINE_DEPTH) {
        const body =
          def.node.childForFieldName('body') ??
          namedChildren(def.node).find((c) => spec.containers?.includes(c.type));
        if (body) collectDefinitions(body, spec, text, depth + 1, outline, names);
      }
    } else if (spec.containers?.includes(child.type) && depth < MAX_OUTLINE_DEPTH) {
      collectDefinitions(child, spec, text, depth, outline, names);
    }
  }
}
