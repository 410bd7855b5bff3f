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
/** Minimum length of an identifier worth counting as a reference. */
const MIN_IDENTIFIER = 3;
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
  forEachIdentifier(text, (id) => {
    if (!COMMON.has(id) && !defs.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  // Keep the most used (ties in byte order) so a huge file cannot blow up the map or the cache.
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_REFERENCES);
  top.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { definitions: [...defs].sort(), references: Object.fromEntries(top) };
}

/** 1 for [A-Za-z_$] (may start an identifier), 2 for [0-9] (may only continue one), else 0. */
const IDENTIFIER_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  IDENTIFIER_CLASS[c] = /[A-Za-z_$]/.test(ch) ? 1 : /[0-9]/.test(ch) ? 2 : 0;
}

/**
 * Calls `onIdentifier` for every match of /[A-Za-z_$][A-Za-z0-9_$]{2,}/g, in order. A loop over
 * char codes instead of matchAll: the scan runs over every file of the repository, and a match
 * object per identifier made it the largest cost of a cold fit. Same matches: a run of identifier
 * characters matches from its first start character to its end when that is long enough, and a
 * shorter run holds no match at all.
 */
function forEachIdentifier(text: string, onIdentifier: (id: string) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || IDENTIFIER_CLASS[c] !== 1) {
      i++;
      continue;
    }
    const start = i;
    for (i++; i < n; i++) {
      const d = text.charCodeAt(i);
      if (d >= 128 || IDENTIFIER_CLASS[d] === 0) break;
    }
    if (i - start >= MIN_IDENTIFIER) onIdentifier(text.slice(start, i));
  }
}
