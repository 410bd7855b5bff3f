/**
 * A packed repository as the session layer uses it: the stable base (the shared prompt prefix), the
 * question-specific part, and the paths an answer may cite.
 */
import type { PackResult } from '../pack/types.js';

export interface RepoContext {
  base: string;
  focused: string;
  /** Paths shown with their content (full text, outline or chunk): the ones `path:line` can refer to. */
  paths: ReadonlySet<string>;
}

const ENTITY: Record<string, string> = {
  '&quot;': '"',
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&#39;': "'",
};

export function repoContext(pack: PackResult): RepoContext {
  const paths = new Set<string>();
  for (const m of pack.text.matchAll(/^<(?:file|outline|chunk) path="([^"]*)"/gm))
    paths.add(m[1]!.replace(/&(?:quot|lt|gt|amp|#39);/g, (e) => ENTITY[e] ?? e));
  return { base: pack.text.slice(0, pack.baseChars), focused: pack.text.slice(pack.baseChars), paths };
}
