/**
 * Tree-sitter parsing for the chunker. Never throws: a grammar that fails to load, a parse that
 * times out or any other failure returns undefined, and the file is chunked by lines instead. One
 * bad file can never break a pack.
 *
 * Native or WASM? Native `tree-sitter` (0.25, N-API, prebuilt binaries for linux/macOS/windows on
 * x64 and arm64, shipped inside the npm packages, so no compiler and no download at install). The
 * packer runs in the sidecar and the CLI, which are plain Node processes, so a native addon is
 * allowed there (it never loads in the extension host); it is about 30 % faster than WASM on large
 * files, which matters when a whole repository is parsed cold; and every listed grammar has a
 * native package with prebuilds, while Markdown has no WASM build on npm at all. Native addons are
 * N-API and context-aware, so they load in each worker thread. The one exception is Swift: its
 * native package depends on tree-sitter-cli, whose install script downloads a binary from GitHub
 * and so fails offline; its WASM build (from @repomix/tree-sitter-wasms) runs on web-tree-sitter.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LanguageSpec } from './languages.js';

/** The part of a tree-sitter node the chunker uses; native and WASM nodes both provide it. */
export interface SyntaxNode {
  type: string;
  startIndex: number;
  endIndex: number;
  startPosition: { row: number; column: number };
  endPosition: { row: number; column: number };
  namedChildren: (SyntaxNode | null)[];
  childForFieldName(name: string): SyntaxNode | null;
  hasError: boolean;
}

export interface ParsedTree {
  root: SyntaxNode;
  /** Frees native or WASM memory held by the tree. */
  dispose(): void;
}

/** Wall-clock limit for one parse: pathological inputs must not stall a worker. */
const PARSE_TIMEOUT_MICROS = 3_000_000;

const nodeRequire = createRequire(__filename);

interface NativeParser {
  setLanguage(language: unknown): void;
  setTimeoutMicros?(micros: number): void;
  parse(input: string): { rootNode: SyntaxNode; delete?: () => void } | null;
}

type Backend = { parse(text: string): ParsedTree | undefined };

/** One parser per language per thread, created on first use. `undefined` caches a load failure. */
const backends = new Map<string, Backend | undefined>();

export async function parse(text: string, spec: LanguageSpec): Promise<ParsedTree | undefined> {
  try {
    let backend = backends.get(spec.id);
    if (!backends.has(spec.id)) {
      backend = await loadBackend(spec).catch(() => undefined);
      backends.set(spec.id, backend);
    }
    return backend?.parse(text);
  } catch {
    return undefined;
  }
}

async function loadBackend(spec: LanguageSpec): Promise<Backend | undefined> {
  if (spec.grammar.wasm)
    return loadWasm(
      join(dirname(nodeRequire.resolve(`${spec.grammar.package}/package.json`)), spec.grammar.wasm),
    );
  const Parser = nodeRequire('tree-sitter') as new () => NativeParser;
  const mod = await loadModule(spec.grammar.package);
  const language = spec.grammar.property ? (mod as Record<string, unknown>)[spec.grammar.property] : mod;
  if (!language) return undefined;
  const parser = new Parser();
  parser.setLanguage(language);
  parser.setTimeoutMicros?.(PARSE_TIMEOUT_MICROS);
  return {
    parse(text) {
      const tree = parser.parse(text);
      return tree ? { root: tree.rootNode, dispose: () => tree.delete?.() } : undefined;
    },
  };
}

/** Grammar packages are CommonJS, except some recent ones that are ES modules with top-level await. */
async function loadModule(name: string): Promise<unknown> {
  try {
    return nodeRequire(name);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_REQUIRE_ASYNC_MODULE' && code !== 'ERR_REQUIRE_ESM') throw e;
    const mod = (await import(nodeRequire.resolve(name))) as { default?: unknown };
    return mod.default ?? mod;
  }
}

let wasmInit: Promise<typeof import('web-tree-sitter')> | undefined;

async function loadWasm(wasmPath: string): Promise<Backend> {
  wasmInit ??= (async () => {
    const wts = nodeRequire('web-tree-sitter') as typeof import('web-tree-sitter');
    await wts.Parser.init();
    return wts;
  })();
  const wts = await wasmInit;
  const language = await wts.Language.load(wasmPath);
  const parser = new wts.Parser();
  parser.setLanguage(language);
  return {
    parse(text) {
      const tree = parser.parse(text, null, { progressCallback: timeoutAfter(PARSE_TIMEOUT_MICROS / 1000) });
      return tree
        ? { root: tree.rootNode as unknown as SyntaxNode, dispose: () => tree.delete() }
        : undefined;
    },
  };
}

function timeoutAfter(ms: number): () => boolean {
  const deadline = performance.now() + ms;
  return () => performance.now() > deadline;
}

/** Named children without the nulls the WASM binding may return. */
export function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((c): c is SyntaxNode => c !== null);
}
