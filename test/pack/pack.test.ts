import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScoutError } from '../../src/engine/errors.js';
import { InlineAnalyzer } from '../../src/engine/pack/analyze/pool.js';
import { PackCache } from '../../src/engine/pack/cache/cache.js';
import { defaultDeps, pack, RepoPacker, type PackDeps } from '../../src/engine/pack/pack.js';
import { loadO200kBase } from '../../src/engine/tokenizer/index.js';
import type { Tokenizer } from '../../src/engine/tokenizer/types.js';
import { BIDI_OVERRIDE, FAKE_AWS_KEY, makeFixture, TAG_CHARS, type Fixture } from './fixture.js';

let fx: Fixture;
let tk: Tokenizer;

/** In-process deps: the real tokenizer and stages, no workers, an in-memory cache. */
function inlineDeps(root: string, extra: Partial<PackDeps> = {}): PackDeps {
  return {
    ...defaultDeps(root, { cacheFile: false }),
    analyzer: new InlineAnalyzer(tk, 'o200k_base'),
    ...extra,
  };
}

beforeAll(async () => {
  fx = makeFixture({ git: true });
  tk = await loadO200kBase();
});
afterAll(() => fx.cleanup());

describe('pack', () => {
  it('reports exact token counts: the sum of blocks equals counting the whole output', async () => {
    const packer = new RepoPacker(fx.root, inlineDeps(fx.root));
    for (const opts of [{}, { budget: 3000 }, { budget: 3000, query: 'start the server router' }]) {
      const r = await packer.pack(opts);
      expect(r.stats.tokens).toBe(tk.count(r.text));
      expect(r.stats.baseTokens).toBe(tk.count(r.text.slice(0, r.baseChars)));
    }
  });

  it('gives the same output for the same state and query, byte for byte', async () => {
    const a = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({ budget: 2500, query: 'greet' });
    const b = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({ budget: 2500, query: 'greet' });
    expect(a.text).toBe(b.text);
  });

  it('keeps the base identical across questions so it is a shared token prefix', async () => {
    const packer = new RepoPacker(fx.root, inlineDeps(fx.root));
    const budget = Math.floor((await packer.pack({})).stats.tokens * 0.6);
    const a = await packer.pack({ budget, query: 'how does the router handle a port' });
    const b = await packer.pack({ budget, query: 'tokenize strings in rust' });
    expect(a.text.slice(0, a.baseChars)).toBe(b.text.slice(0, b.baseChars));
    expect(a.text).not.toBe(b.text);
    expect(a.text.slice(a.baseChars)).toMatch(/^<question-context>\n<chunk /);
    // The question's best match is in the pack: in its own section, or in full in the base.
    const rust =
      b.text.slice(b.baseChars).includes('<chunk path="src/lib.rs"') ||
      b.text.slice(0, b.baseChars).includes('<file path="src/lib.rs"');
    expect(rust).toBe(true);
  });

  it('stays within the budget and still lists every packed file by path', async () => {
    const full = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({});
    const budget = Math.floor(full.stats.tokens * 0.4);
    const small = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({ budget });
    expect(small.stats.tokens).toBeLessThanOrEqual(budget);
    expect(small.stats.represented.full).toBeGreaterThan(0);
    expect(small.stats.represented.path).toBeGreaterThan(0);
    const map = small.text.slice(
      small.text.indexOf('<repository-map>'),
      small.text.indexOf('</repository-map>'),
    );
    for (const m of full.text.matchAll(/<file path="([^"]+)"/g)) {
      const path = m[1]!;
      const name = path.slice(path.lastIndexOf('/') + 1);
      expect(map).toContain(name);
    }
  });

  it('rejects a budget too small for the paths, with a typed error', async () => {
    const packer = new RepoPacker(fx.root, inlineDeps(fx.root));
    await expect(packer.pack({ budget: 10 })).rejects.toMatchObject({ code: 'pack' });
    await expect(packer.pack({ budget: -5 })).rejects.toBeInstanceOf(ScoutError);
  });

  it('leaves out secrets, binaries, lock files, vendored, minified, generated and huge files, and says why', async () => {
    const r = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({});
    const reason = (p: string) => r.excluded.find((e) => e.path === p)?.reason;
    expect(reason('.env')).toBe('secret-path');
    expect(reason('keys/id_rsa')).toBe('secret-path');
    expect(reason('src/aws.ts')).toBe('secret-content');
    expect(reason('image.txt')).toBe('binary');
    expect(reason('package-lock.json')).toBe('lock-file');
    expect(reason('vendor/lib/dep.js')).toBe('vendored');
    expect(reason('dist/bundle.min.js')).toBe('generated');
    expect(reason('assets/app.js')).toBe('minified');
    expect(reason('gen/types.ts')).toBe('generated');
    expect(reason('huge.txt')).toBe('too-large');
    expect(reason('private-notes.md')).toBe('scoutignore');
    expect(reason('link-out.txt')).toBe('symlink');
    expect(r.stats.excluded['secret-path']).toBeGreaterThanOrEqual(2);
    expect(r.text).not.toContain(FAKE_AWS_KEY);
    expect(r.text).not.toContain('super-secret');
    expect(r.text).not.toContain('outside the repository\n');
    expect(r.text).toContain('<file path=".env.example"');
  });

  it('packs text that tries to instruct the model as numbered data, with invisible characters neutralized', async () => {
    const r = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({});
    expect(r.text).not.toContain(BIDI_OVERRIDE);
    expect(r.text).not.toContain(TAG_CHARS);
    expect(r.text).toContain('⟦U+202E⟧');
    expect(r.text).toContain('⟦U+E0049⟧');
    // The fake closing tag is a numbered content line, never a line of its own.
    expect(r.text).toContain('5\t</file>\n');
    expect(r.text).toMatch(/is never to be followed/);
  });

  it('normalizes CRLF, replaces invalid UTF-8 and still packs a file that fails to parse', async () => {
    const r = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({});
    expect(r.text).toContain(
      '<file path="crlf.txt" lines="3">\n1\tline one\n2\tline two\n3\tline three\n</file>',
    );
    expect(r.text).toContain('valid start \ufffd');
    expect(r.text).toContain('<file path="broken.ts"');
    expect(r.text).not.toContain('\r');
  });

  it('reuses cached analyses and re-analyzes only a changed file', async () => {
    const cache = new PackCache(undefined, PackCache.keyFor('o200k_base'));
    const packer = new RepoPacker(fx.root, inlineDeps(fx.root, { cache }));
    const first = await packer.pack({});
    expect(first.stats.cached).toBe(0);
    const file = join(fx.root, 'src', 'router.ts');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, `${original}export const added = 1;\n`);
      packer.notifyChanged(['src/router.ts']);
      const second = await packer.pack({});
      const third = await packer.pack({});
      expect(third.stats.cached).toBeGreaterThan(10);
      expect(second.stats.cached).toBe(third.stats.cached - 1);
      expect(second.text).toContain('export const added = 1;');
      expect(second.stats.tokens).toBe(tk.count(second.text));
    } finally {
      writeFileSync(file, original);
    }
  });

  it('analyzes only as deep as needed, and the result does not depend on what was cached', async () => {
    const cache = new PackCache(undefined, PackCache.keyFor('o200k_base'));
    const packer = new RepoPacker(fx.root, inlineDeps(fx.root, { cache }));
    const full = await packer.pack({});
    const budget = Math.floor(full.stats.tokens * 0.5);
    // The budgeted pack needs outlines: it parses files the unbudgeted pack only counted.
    const warm = await packer.pack({ budget, query: 'greeter' });
    expect(warm.stats.analyzed).toBeGreaterThan(0);
    expect(warm.stats.represented.outline).toBeGreaterThan(0);
    const cold = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({ budget, query: 'greeter' });
    expect(warm.text).toBe(cold.text);
  });

  it('analyzes in worker threads with the default wiring and gets the same result', async () => {
    const viaWorkers = await pack(
      { root: fx.root, budget: 2500, query: 'greet' },
      { cacheFile: false, workers: 2 },
    );
    const inline = await new RepoPacker(fx.root, inlineDeps(fx.root)).pack({ budget: 2500, query: 'greet' });
    expect(viaWorkers.text).toBe(inline.text);
  });

  it('turns a tokenizer that cannot load in the workers into a typed pack error', async () => {
    const bad = pack(
      { root: fx.root },
      {
        cacheFile: false,
        workers: 1,
        tokenizer: { kind: 'file', path: join(fx.root, 'no-such-tokenizer.json') },
      },
    );
    await expect(bad).rejects.toMatchObject({ code: 'pack' });
  });

  it('stops with a cancellation when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      new RepoPacker(fx.root, inlineDeps(fx.root)).pack({ signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
  });
});
