/**
 * `path:line` citations in answers. The engine reports the citations it checked against the pack;
 * the view also links any `path:line` the answer writes, and the extension resolves each click
 * against the workspace (it may name a file that does not exist: then nothing opens).
 */
export interface CitationMatch {
  index: number;
  length: number;
  path: string;
  line: number;
  endLine?: number;
}

// A relative or absolute path with an extension, then :line or :line-line. Not preceded by a word
// character or "/" (so URLs' host:port are not taken), not followed by more digits.
const PATTERN =
  /(?<![\w/:.])((?:\.{0,2}\/)?(?:[\w@.-]+\/)*[\w@.-]+\.[A-Za-z][A-Za-z0-9]{0,9}):(\d{1,7})(?:-(\d{1,7}))?(?!\d)/g;

export function findCitations(text: string): CitationMatch[] {
  const matches: CitationMatch[] = [];
  for (const m of text.matchAll(PATTERN)) {
    const line = Number(m[2]);
    if (line < 1) continue;
    const endLine = m[3] ? Number(m[3]) : undefined;
    matches.push({
      index: m.index,
      length: m[0].length,
      path: m[1]!,
      line,
      ...(endLine && endLine >= line ? { endLine } : {}),
    });
  }
  return matches;
}
