/**
 * Text corpora for comparing tokenizers: real source files from node_modules (many languages,
 * comments in many scripts, minified bundles, JSON) and generated hostile Unicode.
 *
 * Both are deterministic: the same node_modules and seed give the same text. The vitest suite uses
 * a few MB; the benchmark (and SCOUT_TOKENIZER_CORPUS_MB for the test) takes 50 MB or more.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { SeededRandom } from '../fixtures/prng.js';

const SOURCE_EXTENSIONS = new Set([
  '.js',
  '.cjs',
  '.mjs',
  '.ts',
  '.mts',
  '.cts',
  '.tsx',
  '.jsx',
  '.json',
  '.md',
  '.markdown',
  '.txt',
  '.c',
  '.h',
  '.cc',
  '.cpp',
  '.hpp',
  '.py',
  '.rs',
  '.go',
  '.java',
  '.sh',
  '.css',
  '.html',
  '.yml',
  '.yaml',
]);
/** Files larger than this are skipped so one bundle cannot dominate the sample. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** Source files under `root`, in sorted (deterministic) order, until `maxBytes` of text. */
export function sourceFiles(root: string, maxBytes: number): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  let total = 0;
  const walk = (dir: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return true;
    }
    for (const name of names) {
      if (total >= maxBytes) return false;
      const path = join(dir, name);
      let stat;
      try {
        stat = statSync(path);
      } catch {
        continue;
      }
      if (stat.isDirectory()) {
        if (!walk(path)) return false;
      } else if (stat.isFile() && stat.size <= MAX_FILE_BYTES && SOURCE_EXTENSIONS.has(extname(name))) {
        const text = readFileSync(path, 'utf8');
        out.push({ path, text });
        total += Buffer.byteLength(text);
      }
    }
    return true;
  };
  walk(root);
  return out;
}

/**
 * Picks every k-th file so that a small sample still spans many packages (a prefix of the sorted
 * walk would be a handful of packages starting with '@').
 */
export function sampleSourceFiles(
  root: string,
  maxBytes: number,
  stride: number,
): { path: string; text: string }[] {
  const all = sourceFiles(root, maxBytes * stride);
  const picked = all.filter((_, i) => i % stride === 0);
  const out: { path: string; text: string }[] = [];
  let total = 0;
  for (const file of picked) {
    if (total >= maxBytes) break;
    out.push(file);
    total += Buffer.byteLength(file.text);
  }
  return out;
}

const FRAGMENTS = [
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '👍🏽',
  '🇫🇷🇯🇵',
  '😀',
  '❤️',
  '日本語のテキスト',
  '中文字符',
  '한국어',
  'ภาษาไทย',
  'é',
  'é',
  'ñ',
  'ǅ',
  'ᾈ',
  'Å',
  'ﬁ',
  'İstanbul',
  'ſtraße',
  'Ǆemal',
  'ΑΒΓ',
  'Привет',
  'مرحبا',
  'שלום',
  'नमस्ते',
  'क्षि',
  '\u0301\u0302\u0303',
  'a\u0308\u0304',
  '\u200d',
  '\u200b',
  '\ufeff',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\t',
  '\v',
  '\f',
  '\r\n',
  '\n',
  '\r',
  '\r\r\n\n',
  ' \n ',
  "don't",
  "WE'LL",
  "it'S",
  "'ve",
  "x'Re",
  "'ſ",
  'K',
  '12345678901',
  '٣٤٥',
  '½',
  '²',
  'Ⅻ',
  '0x1F',
  '3.14159',
  '1e-9',
  '/**/',
  '//',
  '=>',
  '!==',
  '...',
  '«»',
  '¿¡',
  '<|endoftext|>',
  '<|begin_of_text|>',
  '\ud800',
  '\udfff',
  '\udc00x',
  '\ud83d',
  '\uffff',
  '\ufffd',
  '\u0000',
  '\u001b[0m',
];

/** Generated text full of the cases tokenizers get wrong (see bad-inputs.md RP4, TK4). */
export function hostileUnicode(seed: number, pieces: number): string {
  const random = new SeededRandom(seed);
  const rand = () => random.uniform();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const parts: string[] = [];
  for (let i = 0; i < pieces; i++) {
    const r = rand();
    if (r < 0.45) parts.push(pick(FRAGMENTS));
    else if (r < 0.55)
      parts.push(pick([' ', '\t', '\n', '\r\n', '\u3000']).repeat(1 + Math.floor(rand() * 40)));
    else if (r < 0.62) parts.push(String(Math.floor(rand() * 1e9)).repeat(1 + Math.floor(rand() * 4)));
    else if (r < 0.72) {
      // Random bytes decoded as UTF-8: invalid sequences become U+FFFD the way a file read does.
      const bytes = new Uint8Array(1 + Math.floor(rand() * 12)).map(() => Math.floor(rand() * 256));
      parts.push(new TextDecoder().decode(bytes));
    } else if (r < 0.82) {
      // Random code points from the whole range, lone surrogates included.
      let s = '';
      for (let k = 0; k < 1 + rand() * 6; k++) s += String.fromCodePoint(Math.floor(rand() * 0x110000));
      parts.push(s);
    } else {
      parts.push(pick(['the', 'The', 'THE', 'camelCase', 'snake_case', 'x', 'HTTPServer', 'ǅungla']));
    }
    if (rand() < 0.3) parts.push(' ');
  }
  return parts.join('');
}
