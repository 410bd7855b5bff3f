/**
 * Render: write the fitted plan in the documented format (format.ts). The base comes first and is
 * built only from the repository (never from the question), so every question about the same
 * repository state shares it as a token prefix and the engine can reuse its KV cache.
 */
import type { CandidateChunk, FitPlan } from '../fit/fit.js';
import type { FileAnalysis } from '../types.js';
import * as f from './format.js';

export interface RenderFile {
  path: string;
  analysis: FileAnalysis;
}

export interface RenderInput {
  rootName: string;
  files: readonly RenderFile[];
  plan: FitPlan;
  /** The file's lines (without newlines), for files shown in full or in chunks. */
  lines: (file: number) => readonly string[];
}

export function render(input: RenderInput): { text: string; baseChars: number } {
  const { files, plan } = input;
  const parts: string[] = [
    f.repositoryOpen(input.rootName, files.length),
    f.repositoryMap(mapOrder(files.map((x) => x.path))),
  ];
  // Base files in path order: an edit to one file then changes the prefix only from that file on.
  files.forEach((file, i) => {
    if (plan.representation[i] !== 'full') return;
    parts.push(
      f.fileOpen(file.path, file.analysis.lineCount),
      f.numberedLines(input.lines(i), 1, file.analysis.lineCount),
      f.FILE_CLOSE,
    );
  });
  files.forEach((file, i) => {
    if (plan.representation[i] !== 'outline') return;
    parts.push(
      f.outlineOpen(file.path, file.analysis.lineCount),
      f.outlineBody(file.analysis.outline),
      f.OUTLINE_CLOSE,
    );
  });
  parts.push(f.REPOSITORY_CLOSE);
  const base = parts.join('');
  if (plan.chunks.length === 0) return { text: base, baseChars: base.length };

  const question: string[] = [f.QUESTION_OPEN];
  for (const c of plan.chunks) question.push(renderChunk(input, c));
  question.push(f.QUESTION_CLOSE);
  return { text: base + question.join(''), baseChars: base.length };
}

function renderChunk(input: RenderInput, c: CandidateChunk): string {
  const file = input.files[c.file]!;
  const chunk = file.analysis.chunks[c.chunk]!;
  return (
    f.chunkOpen(file.path, chunk) +
    f.numberedLines(input.lines(c.file), chunk.startLine, chunk.endLine) +
    f.CHUNK_CLOSE
  );
}

/** Paths ordered by folder, then name, so each folder is listed once in the map. */
export function mapOrder(paths: readonly string[]): string[] {
  const key = (p: string) => {
    const slash = p.lastIndexOf('/');
    return [slash < 0 ? '' : p.slice(0, slash), p.slice(slash + 1)] as const;
  };
  return [...paths].sort((a, b) => {
    const [da, na] = key(a);
    const [db, nb] = key(b);
    return da < db ? -1 : da > db ? 1 : na < nb ? -1 : na > nb ? 1 : 0;
  });
}
