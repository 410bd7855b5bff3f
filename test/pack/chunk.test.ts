import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../src/engine/pack/analyze/analyze.js';
import { MAX_CHUNK_CHARS } from '../../src/engine/pack/chunk/chunker.js';
import { loadO200kBase } from '../../src/engine/tokenizer/index.js';
import type { FileAnalysis } from '../../src/engine/pack/types.js';

const SAMPLES: [path: string, text: string, symbol: string][] = [
  [
    'a.ts',
    'import x from "y";\n\nexport function alpha(a: number): number {\n  return a;\n}\n\nexport class Beta {\n  gamma(): void {}\n}\n',
    'alpha',
  ],
  ['a.tsx', 'export function View(): JSX.Element {\n  return <div/>;\n}\n', 'View'],
  ['a.js', 'function alpha() {}\nclass Beta { gamma() {} }\n', 'alpha'],
  ['a.py', 'def alpha():\n    pass\n\nclass Beta:\n    def gamma(self):\n        pass\n', 'alpha'],
  ['a.go', 'package m\n\nfunc Alpha() int { return 1 }\n\ntype Beta struct{}\n', 'Alpha'],
  ['a.rs', 'fn alpha() {}\nstruct Beta;\nimpl Beta { fn gamma(&self) {} }\n', 'alpha'],
  ['A.java', 'class Beta {\n  void gamma() {}\n}\n', 'Beta'],
  ['a.c', 'int alpha(void) { return 0; }\nstruct beta { int x; };\n', 'alpha'],
  ['a.cpp', 'namespace ns {\nclass Beta { void gamma(); };\n}\nint alpha() { return 0; }\n', 'alpha'],
  ['a.cs', 'namespace N {\n  class Beta {\n    void Gamma() {}\n  }\n}\n', 'Beta'],
  ['a.rb', 'class Beta\n  def gamma\n  end\nend\n', 'Beta'],
  ['a.php', '<?php\nfunction alpha() {}\nclass Beta { function gamma() {} }\n', 'alpha'],
  ['a.kt', 'fun alpha() {}\nclass Beta\n', 'alpha'],
  ['a.swift', 'func alpha() {}\nclass Beta {}\n', 'alpha'],
  ['a.sh', 'alpha() {\n  echo hi\n}\n', 'alpha'],
  ['a.css', '.alpha { color: red; }\n', '.alpha'],
  ['a.json', '{\n  "alpha": 1,\n  "beta": 2\n}\n', 'alpha'],
  ['a.yaml', 'alpha:\n  x: 1\nbeta: 2\n', 'alpha'],
  ['a.toml', '[alpha]\nx = 1\n', 'alpha'],
  ['a.md', '# Alpha\n\ntext\n\n## Beta\n\nmore\n', 'Alpha'],
];

function expectTiling(a: FileAnalysis): void {
  let next = 1;
  for (const c of a.chunks) {
    expect(c.startLine).toBe(next);
    expect(c.endLine).toBeGreaterThanOrEqual(c.startLine);
    next = c.endLine + 1;
  }
  expect(next - 1).toBe(a.lineCount);
}

describe('chunk', () => {
  it.each(SAMPLES)(
    '%s: parses with tree-sitter, names definitions and tiles the file',
    async (path, text, symbol) => {
      const a = await analyzeText(path, text, await loadO200kBase());
      expect(a.parsed).toBe(true);
      expect(a.symbols).toContain(symbol);
      expectTiling(a);
    },
  );

  it('splits a large class into its methods and merges small neighbours', async () => {
    const methods = Array.from(
      { length: 20 },
      (_, i) => `  method${i}(a: number): number {\n${'    a = a + 1;\n'.repeat(40)}    return a;\n  }\n`,
    ).join('');
    const text = `import a from "a";\nimport b from "b";\n\nexport class Big {\n${methods}}\n`;
    const a = await analyzeText('big.ts', text, await loadO200kBase());
    expectTiling(a);
    expect(a.chunks.length).toBeGreaterThan(5);
    expect(a.chunks.some((c) => c.symbols.some((s) => s.startsWith('Big.method')))).toBe(true);
    for (const c of a.chunks)
      expect(
        text
          .split('\n')
          .slice(c.startLine - 1, c.endLine)
          .join('\n').length,
      ).toBeLessThanOrEqual(MAX_CHUNK_CHARS);
    expect(a.outline[0]!.text).toBe('export class Big');
    expect(a.outline.some((o) => o.depth === 1 && o.text.startsWith('method7(a: number): number'))).toBe(
      true,
    );
  });

  it('chunks unknown languages by lines and never fails on garbage', async () => {
    const tk = await loadO200kBase();
    const text = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const a = await analyzeText('notes.unknownext', text, tk);
    expect(a.parsed).toBe(false);
    expectTiling(a);
    const garbage = await analyzeText('bad.ts', '}}}} (((( export class { function\n'.repeat(50), tk);
    expectTiling(garbage);
    expect((await analyzeText('empty.ts', '', tk)).chunks).toEqual([]);
  });
});
