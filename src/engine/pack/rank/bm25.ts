/**
 * Query relevance: Okapi BM25 over chunks. A chunk's terms are the words of its text plus its
 * symbol names (counted twice, so a chunk that defines what the question names beats one that
 * merely mentions it). Identifiers are split into words (`parseHTTPRequest` → parse, http,
 * request) and kept whole, so both the exact name and its parts match.
 */
const K1 = 1.2;
const B = 0.75;

export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9_$]+/g)) {
    const word = m[0];
    const lower = word.toLowerCase();
    if (lower.length >= 2) out.push(lower);
    const parts = word.split(/_+|\$|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/);
    if (parts.length > 1) for (const p of parts) if (p.length >= 2) out.push(p.toLowerCase());
  }
  return out;
}

export interface Bm25Doc {
  text: string;
  symbols: readonly string[];
}

/** BM25 score of each document for the query, in input order (0 when nothing matches). */
export function bm25(query: string, docs: readonly Bm25Doc[]): Float64Array {
  const scores = new Float64Array(docs.length);
  const q = [...new Set(terms(query))];
  if (q.length === 0 || docs.length === 0) return scores;
  const wanted = new Set(q);
  const tfs: Map<string, number>[] = [];
  const lengths = new Float64Array(docs.length);
  const df = new Map<string, number>();
  docs.forEach((d, i) => {
    const tf = new Map<string, number>();
    const all = terms(d.text);
    const symbolTerms = d.symbols.flatMap((s) => terms(s));
    lengths[i] = all.length + 2 * symbolTerms.length;
    for (const t of all) if (wanted.has(t)) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of symbolTerms) if (wanted.has(t)) tf.set(t, (tf.get(t) ?? 0) + 2);
    for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    tfs.push(tf);
  });
  let total = 0;
  for (const l of lengths) total += l;
  const avg = total / docs.length || 1;
  const n = docs.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const [t, f] of tfs[i]!) {
      const d = df.get(t)!;
      const idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
      s += (idf * f * (K1 + 1)) / (f + K1 * (1 - B + (B * lengths[i]!) / avg));
    }
    scores[i] = s;
  }
  return scores;
}
