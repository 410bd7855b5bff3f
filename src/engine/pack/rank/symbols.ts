/**
 * Symbols for the repository map, found by a scan of the text rather than a parse.
 *
 * Ranking needs the definitions and references of every file, and parsing every file of a
 * 15,000-file repository costs far more than the 3 s a cold fit may take. A single regex pass finds
 * the names that follow definition keywords in the listed languages (`function`, `class`, `def`,
 * `fn`, `func (r T)`, `struct`, …) and every identifier a file mentions. The syntax tree is still
 * what chunks and outlines the files that are shown; ranking only needs names. Using the scan for
 * every file, always, also keeps the ranking independent of which files happen to be parsed in
 * the cache, so the same repository gives the same output.
 */
const DEFINITION =
  /\b(?:function\*?|class|interface|type|enum|struct|union|trait|impl|def|fn|func(?:\s*\([^)]*\))?|module|namespace|object|protocol|record|typedef\s+struct)\s+([A-Za-z_$][A-Za-z0-9_$]*)|^[ \t]*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][A-Za-z0-9_$]*)\s*[=:]/gm;
const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]{2,}/g;
const MAX_REFERENCES = 120;
const COMMON = new Set(
  (
    'the and for not with this that from import export return const let var function class new true false null ' +
    'undefined self else elif then case break continue default public private protected static void int string ' +
    'bool boolean number async await yield try catch finally throw throws type interface extends implements package ' +
    'def end module require include use pub impl struct enum match mut fn func nil none None True False super'
  ).split(' '),
);

export interface FileSymbols {
  definitions: string[];
  references: Record<string, number>;
}

export function scanSymbols(text: string): FileSymbols {
  const defs = new Set<string>();
  for (const m of text.matchAll(DEFINITION)) {
    const name = m[1] ?? m[2];
    if (name && name.length >= 2 && !COMMON.has(name)) defs.add(name);
  }
  const counts = new Map<string, number>();
  for (const m of text.matchAll(IDENTIFIER)) {
    const id = m[0];
    if (!COMMON.has(id) && !defs.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  // Keep the most used (ties in byte order) so a huge file cannot blow up the map or the cache.
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_REFERENCES);
  top.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { definitions: [...defs].sort(), references: Object.fromEntries(top) };
}
