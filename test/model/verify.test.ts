// `verifyModel` on plain folders and HF-cache snapshots built from the tiny model.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyModel } from '../../src/engine/model/verify.js';
import { gitBlobSha1, sha256 } from './hubMock.js';
import { TINY_CONFIG, tinyModelFiles, writeSafetensors } from './tinyModel.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'scout-verify-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';

function plainFolder(files = tinyModelFiles()): string {
  const dir = join(work, 'model');
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of files) writeFileSync(join(dir, path), content);
  return dir;
}

/** An HF-cache repo folder: hash-named blobs and a snapshot of relative links. */
function cacheSnapshot(files = tinyModelFiles()): { snapshot: string; blobs: string } {
  const repo = join(work, 'hub', 'models--meta-llama--Tiny');
  const blobs = join(repo, 'blobs');
  const snapshot = join(repo, 'snapshots', 'c'.repeat(40));
  mkdirSync(blobs, { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  for (const [path, content] of files) {
    const name = path.endsWith('.safetensors') ? sha256(content) : gitBlobSha1(content);
    writeFileSync(join(blobs, name), content);
    symlinkSync(join('..', '..', 'blobs', name), join(snapshot, path));
  }
  return { snapshot, blobs };
}

function editIndex(
  dir: string,
  edit: (index: { weight_map: Record<string, string>; metadata: { total_size: number } }) => void,
) {
  const path = join(dir, 'model.safetensors.index.json');
  const index = JSON.parse(readFileSync(path, 'utf8'));
  edit(index);
  writeFileSync(path, JSON.stringify(index));
}

describe('verifyModel', () => {
  it('passes a complete plain folder, with no hashes to check', async () => {
    const report = await verifyModel(plainFolder());
    expect(report).toMatchObject({
      ok: true,
      architecture: 'Llama4ForConditionalGeneration',
      shards: 2,
      issues: [],
    });
    expect(report.tensors).toBeGreaterThan(50);
    expect(report.files.every((f) => f.hash === 'none')).toBe(true);
  });

  it('passes an HF-cache snapshot and hashes every blob against its name', async () => {
    const { snapshot } = cacheSnapshot();
    const report = await verifyModel(snapshot);
    expect(report.issues).toEqual([]);
    expect(report.files.map((f) => f.hash)).toEqual(Array(5).fill('ok'));
    expect((await verifyModel(snapshot, { hashes: false })).files.every((f) => f.hash === 'skipped')).toBe(
      true,
    );
  });

  it('reports a blob whose bytes changed', async () => {
    const files = tinyModelFiles();
    const { snapshot, blobs } = cacheSnapshot(files);
    const blob = join(blobs, sha256(files.get(SHARD2)!));
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1]! ^= 1; // a weight byte: the header still parses
    writeFileSync(blob, bytes);
    const report = await verifyModel(snapshot);
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${SHARD2}: contents hash to [0-9a-f]{64}, but the Hub's sha256 is ${sha256(files.get(SHARD2)!)}`,
        ),
      ),
    ]);
  });

  it('reports a missing shard', async () => {
    const dir = plainFolder();
    unlinkSync(join(dir, SHARD2));
    const report = await verifyModel(dir);
    expect(report.ok).toBe(false);
    expect(report.issues).toContain(`${SHARD2}: missing`);
  });

  it('refuses index entries that point outside the folder', async () => {
    const dir = plainFolder();
    editIndex(dir, (i) => (i.weight_map['language_model.model.norm.weight'] = '../evil.safetensors'));
    const report = await verifyModel(dir);
    expect(report.issues.join('\n')).toMatch(/names an unsafe shard '\.\.\/evil\.safetensors'/);
  });

  it('refuses a shard that links out of the model folder', async () => {
    const dir = plainFolder();
    const outside = join(work, 'elsewhere.safetensors');
    writeFileSync(outside, readFileSync(join(dir, SHARD2)));
    unlinkSync(join(dir, SHARD2));
    symlinkSync(outside, join(dir, SHARD2));
    const report = await verifyModel(dir);
    expect(report.issues.join('\n')).toMatch(/links outside the model folder/);
  });

  it('reports a tensor the index places in the wrong shard, and a wrong total_size', async () => {
    const dir = plainFolder();
    editIndex(dir, (i) => {
      i.weight_map['language_model.model.embed_tokens.weight'] = SHARD2;
      i.metadata.total_size += 1;
    });
    const issues = (await verifyModel(dir)).issues.join('\n');
    expect(issues).toMatch(
      `tensor language_model.model.embed_tokens.weight is in ${SHARD1} but the index says ${SHARD2}`,
    );
    expect(issues).toMatch(/total_size is \d+ but the shards hold \d+ bytes/);
  });

  it('reports an index entry that no shard holds', async () => {
    const dir = plainFolder();
    editIndex(dir, (i) => (i.weight_map['language_model.ghost.weight'] = SHARD1));
    expect((await verifyModel(dir)).issues).toEqual([
      `the index lists language_model.ghost.weight in ${SHARD1}, but no shard holds it`,
    ]);
  });

  it('checks the config against the tensors: layer count, shapes, dtype', async () => {
    const dir = plainFolder();
    const moreLayers = {
      ...TINY_CONFIG,
      text_config: {
        ...TINY_CONFIG.text_config,
        num_hidden_layers: 8,
        no_rope_layers: [1, 1, 1, 0, 1, 1, 1, 0],
      },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(moreLayers));
    expect((await verifyModel(dir)).issues.join('\n')).toMatch(
      /tensors the config implies are missing: language_model\.model\.layers\.4\./,
    );

    const wider = { ...TINY_CONFIG, text_config: { ...TINY_CONFIG.text_config, vocab_size: 1000 } };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(wider));
    expect((await verifyModel(dir)).issues.join('\n')).toMatch(
      /embed_tokens\.weight has shape \[1024, 64\], the config implies \[1000, 64\]/,
    );

    const f32 = {
      ...TINY_CONFIG,
      torch_dtype: 'float32',
      text_config: { ...TINY_CONFIG.text_config, torch_dtype: 'float32' },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(f32));
    expect((await verifyModel(dir)).issues.join('\n')).toMatch(/is BF16, the config says float32/);
  });

  it('reports tensors the config does not describe', async () => {
    const files = tinyModelFiles();
    files.set(
      'extra.safetensors',
      writeSafetensors([{ name: 'rogue.weight', dtype: 'BF16', shape: [2], bytes: Buffer.alloc(4) }]),
    );
    const dir = plainFolder(files);
    editIndex(dir, (i) => {
      i.weight_map['rogue.weight'] = 'extra.safetensors';
      i.metadata.total_size += 4;
    });
    expect((await verifyModel(dir)).issues).toEqual(['1 tensors the config does not describe: rogue.weight']);
  });

  it('reports a bad config without stopping the other checks', async () => {
    const dir = plainFolder();
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...TINY_CONFIG, text_config: { ...TINY_CONFIG.text_config, num_key_value_heads: 3 } }),
    );
    unlinkSync(join(dir, SHARD1));
    const report = await verifyModel(dir);
    expect(report.issues).toEqual([
      'config.json: text_config.num_key_value_heads (3) must divide num_attention_heads (4)',
      `${SHARD1}: missing`,
    ]);
  });

  it('throws not_found for a path that is not a folder', async () => {
    await expect(verifyModel(join(work, 'nothing'))).rejects.toMatchObject({ code: 'not_found' });
  });
});
