// Model discovery (flag, env, configured folders, HF caches), the Hub token, and int4 cache paths.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeModel, findModels, locateModels, resolveModel } from '../../src/engine/model/discover.js';
import {
  hubCacheCandidates,
  int4CacheDir,
  INT4_CACHE_MANIFEST,
  readHubToken,
  SCOUT_REPO,
} from '../../src/engine/model/paths.js';
import { sha256 } from './hubMock.js';
import { tinyModelFiles } from './tinyModel.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'scout-discover-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const files = tinyModelFiles();

function modelAt(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of files) writeFileSync(join(dir, path), content);
  return dir;
}

/** A snapshot in an HF cache, with refs/main pointing at it. */
function cachedModel(cache: string, repo: string, commit = 'a'.repeat(40)): string {
  const repoDir = join(cache, `models--${repo.replace('/', '--')}`);
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  return modelAt(join(repoDir, 'snapshots', commit));
}

describe('locateModels', () => {
  it('orders --model, SCOUT_MODEL, configured folders, then caches with Scout first', async () => {
    const cache = join(work, 'hub');
    cachedModel(cache, 'other/Model');
    const scout = cachedModel(cache, SCOUT_REPO);
    const parent = join(work, 'models');
    const child = modelAt(join(parent, 'tiny'));
    const direct = modelAt(join(work, 'direct'));
    const located = await locateModels({
      model: join(work, 'flag'),
      folders: [parent, direct],
      caches: [cache, join(work, 'absent')],
      env: { SCOUT_MODEL: join(work, 'env') },
    });
    expect(located.map((l) => [l.source, l.dir])).toEqual([
      ['flag', join(work, 'flag')],
      ['env', join(work, 'env')],
      ['configured', child],
      ['configured', direct],
      ['hf-cache', scout],
      ['hf-cache', join(cache, 'models--other--Model', 'snapshots', 'a'.repeat(40))],
    ]);
    expect(located[4]).toMatchObject({ repo: SCOUT_REPO, commit: 'a'.repeat(40), refs: ['main'] });
  });

  it('looks in $HF_HUB_CACHE, $HF_HOME/hub and the XDG cache', () => {
    const env = { HF_HUB_CACHE: '/a', HF_HOME: '/b', XDG_CACHE_HOME: '/c' };
    expect(hubCacheCandidates(env).slice(0, 3)).toEqual(['/a', '/b/hub', '/c/huggingface/hub']);
  });
});

describe('describeModel', () => {
  const env = () => ({ XDG_CACHE_HOME: join(work, 'xdg') });

  it('reports architecture, dtype, weight bytes, completeness and int4 caches', async () => {
    const dir = modelAt(join(work, 'm'));
    const summary = await describeModel({ dir, source: 'configured' }, env());
    const weights = [...files]
      .filter(([p]) => p.endsWith('.safetensors'))
      .reduce((a, [, b]) => a + b.length, 0);
    expect(summary).toMatchObject({
      architecture: 'Llama4ForConditionalGeneration',
      supported: true,
      dtype: 'bfloat16',
      weightBytes: weights,
      complete: true,
      problem: undefined,
    });
    expect(summary.int4Caches.map((c) => [c.format, c.exists])).toEqual([
      ['int4', false],
      ['int4_mixed', false],
      ['int4_int8_head', false],
    ]);
    const int4 = summary.int4Caches[0]!.dir;
    expect(int4.startsWith(join(work, 'xdg', 'scout', 'int4', 'int4-'))).toBe(true);
    mkdirSync(int4, { recursive: true });
    writeFileSync(join(int4, INT4_CACHE_MANIFEST), '{}');
    expect((await describeModel({ dir, source: 'configured' }, env())).int4Caches[0]!.exists).toBe(true);
    // Rewritten weights (same size, new mtime) get a new cache.
    utimesSync(join(dir, 'model-00001-of-00002.safetensors'), new Date(), new Date(Date.now() + 5000));
    expect((await describeModel({ dir, source: 'configured' }, env())).int4Caches[0]!.dir).not.toBe(int4);
  });

  it('shares one int4 cache between HF-cache snapshots of the same blobs', async () => {
    const cache = join(work, 'hub');
    const blobs = join(cache, 'models--a--b', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const snapshot = (commit: string) => {
      const dir = join(cache, 'models--a--b', 'snapshots', commit);
      mkdirSync(dir, { recursive: true });
      for (const [path, content] of files) {
        const name = sha256(content);
        writeFileSync(join(blobs, name), content);
        symlinkSync(join('..', '..', 'blobs', name), join(dir, path));
      }
      return dir;
    };
    const [a, b] = [snapshot('a'.repeat(40)), snapshot('b'.repeat(40))];
    const key = async (dir: string) =>
      (await describeModel({ dir, source: 'hf-cache' }, env())).int4Caches[0]!.dir;
    expect(await key(a)).toBe(await key(b));
  });

  it('flags missing shards and foreign architectures', async () => {
    const dir = modelAt(join(work, 'm'));
    unlinkSync(join(dir, 'model-00002-of-00002.safetensors'));
    expect(await describeModel({ dir, source: 'configured' })).toMatchObject({
      complete: false,
      problem: '1 of 2 weight shards missing',
    });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', torch_dtype: 'float16' }),
    );
    expect(await describeModel({ dir, source: 'configured' })).toMatchObject({
      architecture: 'LlamaForCausalLM',
      dtype: 'float16',
      supported: false,
      problem: expect.stringMatching(/unsupported architecture/),
    });
  });

  it('never throws on an unreadable config', async () => {
    const dir = join(work, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '<html>404</html>');
    expect((await describeModel({ dir, source: 'configured' })).problem).toMatch(/no readable config\.json/);
  });
});

describe('resolveModel', () => {
  it('takes the first complete Llama 4 model, skipping broken cache entries', async () => {
    const cache = join(work, 'hub');
    const broken = cachedModel(cache, SCOUT_REPO);
    unlinkSync(join(broken, 'model-00001-of-00002.safetensors'));
    const good = cachedModel(cache, 'someone/Tiny');
    expect((await resolveModel({ caches: [cache], env: {} })).dir).toBe(good);
    expect((await findModels({ caches: [cache], env: {} })).map((m) => m.complete)).toEqual([false, true]);
  });

  it('does not fall back when --model or SCOUT_MODEL is wrong', async () => {
    const cache = join(work, 'hub');
    cachedModel(cache, SCOUT_REPO);
    await expect(resolveModel({ model: join(work, 'nope'), caches: [cache], env: {} })).rejects.toThrow(
      /--model .* is not a folder/,
    );
    const partial = modelAt(join(work, 'partial'));
    unlinkSync(join(partial, 'model-00002-of-00002.safetensors'));
    await expect(resolveModel({ caches: [cache], env: { SCOUT_MODEL: partial } })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/weight shards missing/),
    });
  });

  it('says where it looked and what to do when nothing is found', async () => {
    await expect(resolveModel({ caches: [join(work, 'empty')], env: {} })).rejects.toThrow(
      /no Llama 4 model found \(searched .*empty\); run 'scout model download' or pass --model DIR/,
    );
  });
});

describe('readHubToken', () => {
  it('prefers HF_TOKEN, then HF_TOKEN_PATH, then $HF_HOME/token', async () => {
    mkdirSync(join(work, 'hfhome'));
    writeFileSync(join(work, 'hfhome', 'token'), 'hf_fromTheLoginFile123\n');
    writeFileSync(join(work, 'other'), 'hf_fromTokenPathFile456');
    expect(await readHubToken({ HF_TOKEN: 'hf_fromEnvironment789', HF_HOME: join(work, 'hfhome') })).toEqual({
      token: 'hf_fromEnvironment789',
      source: 'HF_TOKEN',
    });
    expect(
      (await readHubToken({ HF_TOKEN_PATH: join(work, 'other'), HF_HOME: join(work, 'hfhome') }))!.token,
    ).toBe('hf_fromTokenPathFile456');
    expect(await readHubToken({ HF_HOME: join(work, 'hfhome') })).toEqual({
      token: 'hf_fromTheLoginFile123',
      source: join(work, 'hfhome', 'token'),
    });
    expect(await readHubToken({ HF_HOME: join(work, 'nothing') })).toBeUndefined();
  });

  it('rejects something that is not a token, without echoing it', async () => {
    const e = await readHubToken({ HF_TOKEN: 'password123' }).catch((err: Error) => err);
    expect(e).toMatchObject({ code: 'invalid_argument' });
    expect((e as Error).message).not.toContain('password123');
  });

  it('reports an unreadable token file', async () => {
    symlinkSync(join(work, 'loop'), join(work, 'loop'));
    await expect(readHubToken({ HF_TOKEN_PATH: join(work, 'loop') })).rejects.toMatchObject({ code: 'io' });
  });
});

describe('int4CacheDir', () => {
  it('lives under $XDG_CACHE_HOME/scout/int4 and rejects path-like keys', () => {
    expect(int4CacheDir('int4-abc', { XDG_CACHE_HOME: '/x' })).toBe('/x/scout/int4/int4-abc');
    expect(() => int4CacheDir('../../etc', {})).toThrow(/bad int4 cache key/);
  });
});
