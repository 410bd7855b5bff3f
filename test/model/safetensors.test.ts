// The strict safetensors header reader against bad-inputs.md's "ST" cases.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import { readSafetensorsHeader } from '../../src/engine/model/safetensors.js';
import { writeSafetensors } from './tinyModel.js';

const dir = mkdtempSync(join(tmpdir(), 'scout-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function file(bytes: Buffer): string {
  const path = join(dir, `f${n++}.safetensors`);
  writeFileSync(path, bytes);
  return path;
}

/** A file from a raw header string (any text) followed by `data` bytes. */
function raw(header: string | Buffer, dataBytes = 0, length?: bigint): string {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(length ?? BigInt(json.length));
  return file(Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
}

async function rejects(path: string, message: RegExp): Promise<void> {
  const e = await readSafetensorsHeader(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ScoutError);
  expect((e as ScoutError).code).toBe('safetensors');
  expect((e as ScoutError).message).toMatch(message);
}

const t = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

describe('readSafetensorsHeader accepts', () => {
  it('a valid file, with metadata and absolute offsets', async () => {
    const path = file(
      writeSafetensors(
        [
          { name: 'a', dtype: 'BF16', shape: [2, 3], bytes: Buffer.alloc(12) },
          { name: 'b', dtype: 'F32', shape: [4], bytes: Buffer.alloc(16) },
        ],
        { format: 'pt' },
      ),
    );
    const h = await readSafetensorsHeader(path);
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.tensors.map((x) => [x.name, x.dtype, x.shape, x.end - x.begin])).toEqual([
      ['a', 'BF16', [2, 3], 12],
      ['b', 'F32', [4], 16],
    ]);
    expect(h.tensors[0]!.begin).toBe(h.dataStart);
    expect(h.fileBytes).toBe(h.dataStart + 28);
  });

  it('a zero-size tensor sharing an offset (never dereferenced)', async () => {
    const h = await readSafetensorsHeader(
      raw(JSON.stringify({ z: t('F32', [0, 5], [0, 0]), a: t('U8', [2], [0, 2]) }), 2),
    );
    expect(h.tensors.find((x) => x.name === 'z')!.end - h.tensors.find((x) => x.name === 'z')!.begin).toBe(0);
  });
});

describe('readSafetensorsHeader rejects', () => {
  const ok = (extra: object = {}) => JSON.stringify({ a: t('U8', [4], [0, 4]), ...extra });
  const cases: Array<[string, () => string, RegExp]> = [
    ['an empty file', () => file(Buffer.alloc(0)), /shorter than the 8-byte/],
    ['a 7-byte file', () => file(Buffer.alloc(7)), /shorter than the 8-byte/],
    ['a zero header length', () => file(Buffer.alloc(8)), /header length is 0/],
    ['a header length past the end', () => raw('{}', 0, 100n), /runs past the end/],
    ['a header length of 2^64-1', () => raw('{}', 0, 2n ** 64n - 1n), /exceeds the 100000000-byte cap/],
    [
      'a git-lfs pointer',
      () => file(Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 5\n')),
      /cap|past the end/,
    ],
    [
      'an HTML error page',
      () => file(Buffer.from('<!DOCTYPE html><html><body>404</body></html>')),
      /cap|past the end/,
    ],
    ['a header that is not UTF-8', () => raw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/],
    ['a header that is not JSON', () => raw('{"a": '), /not JSON/],
    ['a JSON array header', () => raw('[]'), /not a JSON object/],
    ['a JSON string header', () => raw('"x"'), /not a JSON object/],
    ['a truncated data section', () => raw(ok(), 3), /truncated: header needs/],
    ['trailing bytes', () => raw(ok(), 5), /1 trailing bytes/],
    [
      'overlapping tensors',
      () => raw(JSON.stringify({ a: t('U8', [4], [0, 4]), b: t('U8', [4], [2, 6]) }), 6),
      /overlaps/,
    ],
    [
      'a hole',
      () => raw(JSON.stringify({ a: t('U8', [4], [0, 4]), b: t('U8', [4], [6, 10]) }), 10),
      /hole before tensor 'b'/,
    ],
    ['end before begin', () => raw(JSON.stringify({ a: t('U8', [0], [4, 0]) }), 4), /ends before it begins/],
    ['negative offsets', () => raw(JSON.stringify({ a: t('U8', [4], [-4, 0]) }), 4), /bad data_offsets/],
    ['float offsets', () => raw(JSON.stringify({ a: t('U8', [1], [0.5, 1.5]) }), 2), /bad data_offsets/],
    ['string offsets', () => raw(JSON.stringify({ a: t('U8', [4], ['0', '4']) }), 4), /bad data_offsets/],
    [
      'offsets beyond 2^53',
      () => raw(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[9007199254740993,9007199254740997]}}`, 4),
      /bad data_offsets/,
    ],
    ['a negative dimension', () => raw(JSON.stringify({ a: t('U8', [-4], [0, 4]) }), 4), /bad shape/],
    ['a float dimension', () => raw(JSON.stringify({ a: t('U8', [2.5], [0, 4]) }), 4), /bad shape/],
    [
      'a shape product that would wrap',
      () => raw(JSON.stringify({ a: t('U8', [4194305, 4194305, 211106198978564], [0, 4]) }), 4),
      /needs \d{20,}/,
    ],
    [
      'a shape larger than its span',
      () => raw(JSON.stringify({ a: t('F32', [2], [0, 4]) }), 4),
      /spans 4 bytes but F32\[2\] needs 8/,
    ],
    ['a shape smaller than its span', () => raw(JSON.stringify({ a: t('F32', [1], [0, 8]) }), 8), /needs 4/],
    ['an empty shape with a wide span', () => raw(JSON.stringify({ a: t('F32', [], [0, 8]) }), 8), /needs 4/],
    ['an unknown dtype', () => raw(JSON.stringify({ a: t('Q4', [4], [0, 4]) }), 4), /unknown dtype "Q4"/],
    ['a lowercase dtype', () => raw(JSON.stringify({ a: t('f32', [1], [0, 4]) }), 4), /unknown dtype "f32"/],
    [
      'duplicate names, same range',
      () =>
        raw(`{"a":${JSON.stringify(t('U8', [4], [0, 4]))},"a":${JSON.stringify(t('U8', [4], [0, 4]))}}`, 4),
      /duplicate tensor names/,
    ],
    [
      'duplicate names, different ranges',
      () =>
        raw(`{"a":${JSON.stringify(t('U8', [4], [0, 4]))},"a":${JSON.stringify(t('U8', [4], [4, 8]))}}`, 8),
      /duplicate tensor names/,
    ],
    ['non-string metadata', () => raw(ok({ __metadata__: { n: 1 } }), 4), /__metadata__\.n is not a string/],
    [
      'a name with NUL',
      () => raw(JSON.stringify({ 'a\u0000b': t('U8', [4], [0, 4]) }), 4),
      /bad tensor name/,
    ],
    [
      'a 1 MB name',
      () => raw(JSON.stringify({ ['x'.repeat(1 << 20)]: t('U8', [4], [0, 4]) }), 4),
      /bad tensor name/,
    ],
    ['a tensor entry that is not an object', () => raw(JSON.stringify({ a: [1, 2] })), /not an object/],
  ];
  for (const [what, make, message] of cases) it(what, () => rejects(make(), message));

  it('a missing file, as not_found', async () => {
    await expect(readSafetensorsHeader(join(dir, 'nope.safetensors'))).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
