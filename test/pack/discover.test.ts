import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/engine/pack/discover/discover.js';
import { makeFixture, type Fixture } from './fixture.js';

let inGit: Fixture;
let plain: Fixture;

beforeAll(() => {
  inGit = makeFixture({ git: true });
  plain = makeFixture({ git: false });
});
afterAll(() => {
  inGit.cleanup();
  plain.cleanup();
});

describe('discover', () => {
  it('applies .gitignore at every level, with negations and ignored folders, in git and outside it alike', async () => {
    const git = await discover({ root: inGit.root });
    const walk = await discover({ root: plain.root });
    expect(git.source).toBe('git');
    expect(walk.source).toBe('walk');
    for (const r of [git, walk]) {
      const paths = r.files.map((f) => f.path);
      expect(paths).toContain('keep.log');
      expect(paths).toContain('nested/important.log');
      expect(paths).toContain('nested/kept.txt');
      expect(paths).toContain('src/server.ts');
      expect(paths).not.toContain('debug.log');
      expect(paths).not.toContain('build/out.js');
      expect(paths).not.toContain('ignored-dir/file.ts');
      expect(paths).not.toContain('nested/local-only.txt');
      expect(paths.some((p) => p.startsWith('.git/'))).toBe(false);
    }
    // Outside the info/exclude file, git and the walk agree on the whole list.
    const gitPaths = git.files.map((f) => f.path);
    expect(gitPaths).not.toContain('excluded-by-info.txt');
    expect(walk.files.map((f) => f.path).filter((p) => p !== 'excluded-by-info.txt')).toEqual(gitPaths);
  });

  it('never follows symlinks, and reports where they point', async () => {
    for (const fx of [inGit, plain]) {
      const r = await discover({ root: fx.root });
      const paths = r.files.map((f) => f.path);
      expect(paths.some((p) => p.startsWith('link-out-dir/') || p.startsWith('loop/'))).toBe(false);
      const links = Object.fromEntries(
        r.excluded.filter((e) => e.reason === 'symlink').map((e) => [e.path, e.detail]),
      );
      expect(links['link-out.txt']).toBe('points outside the repository');
      expect(links['loop-a']).toBe('broken link or a loop');
    }
  });

  it('applies .scoutignore and VS Code files.exclude, reporting both', async () => {
    const r = await discover({ root: inGit.root, filesExclude: ['**/docs', '*.toml', 'config/*.toml'] });
    const reasons = Object.fromEntries(r.excluded.map((e) => [e.path, e.reason]));
    expect(reasons['private-notes.md']).toBe('scoutignore');
    expect(reasons['docs/guide.md']).toBe('files-exclude');
    expect(reasons['config/tool.toml']).toBe('files-exclude');
    expect(r.files.map((f) => f.path)).toContain('config/settings.yaml');
  });

  it('rejects a missing or non-folder root with a typed error', async () => {
    await expect(discover({ root: '/nonexistent/scout' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(discover({ root: `${inGit.root}/keep.log` })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
