/**
 * Decoding: formats, EXIF orientation, alpha onto white, first GIF frame, and every IM case of
 * bad-inputs.md ending in a typed error whose message is ours (no libvips text, no addresses).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ScoutError, type ScoutErrorCode } from '../../src/engine/errors.js';
import { decodeImage, loadImageFile } from '../../src/engine/vision/index.js';

function rawRgb(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return data;
}

const pattern = (x: number, y: number): [number, number, number] => [
  (x * 37) % 256,
  (y * 59) % 256,
  (x * y) % 256,
];

async function encoded(
  width: number,
  height: number,
  format: 'png' | 'webp' | 'jpeg' | 'tiff',
): Promise<Buffer> {
  const img = sharp(rawRgb(width, height, pattern), { raw: { width, height, channels: 3 } });
  if (format === 'png') return img.png().toBuffer();
  if (format === 'webp') return img.webp({ lossless: true }).toBuffer();
  if (format === 'jpeg') return img.jpeg({ quality: 95 }).toBuffer();
  return img.tiff().toBuffer();
}

async function expectImageError(
  promise: Promise<unknown>,
  code: ScoutErrorCode,
  message: RegExp,
): Promise<ScoutError> {
  const e = await promise.then(
    () => expect.fail('expected a ScoutError'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ScoutError);
  const err = e as ScoutError;
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  // IM3: nothing of the decoder's own text or of memory addresses reaches the message.
  expect(err.message).not.toMatch(/0x[0-9a-f]{4,}|vips|sharp|VipsForeign/i);
  return err;
}

/** A PNG whose header claims width × height but which holds (almost) no pixel data. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([len, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeImage', () => {
  it('decodes PNG and lossless WebP bit-exactly to RGB', async () => {
    const want = rawRgb(9, 5, pattern);
    for (const format of ['png', 'webp'] as const) {
      const img = await decodeImage(await encoded(9, 5, format));
      expect([img.width, img.height]).toEqual([9, 5]);
      expect(Buffer.from(img.data).equals(want)).toBe(true);
    }
  });

  it('decodes JPEG close to the source', async () => {
    const img = await decodeImage(await encoded(16, 16, 'jpeg'));
    expect([img.width, img.height, img.data.length]).toEqual([16, 16, 16 * 16 * 3]);
  });

  it('applies the EXIF orientation', async () => {
    // 6 = "rotate 90° clockwise to display": a 16×8 stored image shows as 8×16, and its left
    // half (red) becomes the top half.
    const stored = sharp(
      rawRgb(16, 8, (x) => (x < 8 ? [250, 0, 0] : [0, 0, 250])),
      {
        raw: { width: 16, height: 8, channels: 3 },
      },
    );
    const jpeg = await stored
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([8, 16]);
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    expect(at(0, 0)[0]!).toBeGreaterThan(200);
    expect(at(0, 0)[2]!).toBeLessThan(60);
    expect(at(7, 15)[2]!).toBeGreaterThan(200);
    expect(at(7, 15)[0]!).toBeLessThan(60);
  });

  it('composites alpha onto white', async () => {
    const rgba = Buffer.from([255, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0, 128, 0, 0, 255, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 255, 255]); // transparent → white
    expect(Array.from(img.data.subarray(3, 6))).toEqual([255, 0, 0]);
    const half = Array.from(img.data.subarray(6, 9));
    expect(half[0]).toBe(255);
    expect(Math.abs(half[1]! - 127)).toBeLessThanOrEqual(1);
    expect(Array.from(img.data.subarray(9, 12))).toEqual([0, 0, 255]);
  });

  it('turns grayscale into three equal channels', async () => {
    const gray = await sharp(Buffer.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    const img = await decodeImage(gray);
    expect(Array.from(img.data)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
  });

  it('reads the first frame of an animated GIF', async () => {
    const frame = (rgb: [number, number, number]) =>
      sharp(
        rawRgb(4, 3, () => rgb),
        { raw: { width: 4, height: 3, channels: 3 } },
      )
        .png()
        .toBuffer();
    const gif = await sharp([await frame([255, 0, 0]), await frame([0, 0, 255])], {
      join: { animated: true },
    })
      .gif()
      .toBuffer();
    const img = await decodeImage(gif);
    expect([img.width, img.height]).toEqual([4, 3]);
    expect(img.data[0]!).toBeGreaterThan(200);
    expect(img.data[2]!).toBeLessThan(60);
  });

  it('IM1: refuses a decompression bomb from its header, before decoding', async () => {
    const bomb = pngHeaderOnly(100_000, 100_000);
    const started = Date.now();
    await expectImageError(
      decodeImage(bomb),
      'image',
      /100000×100000 = 10000000000 pixels; the limit is 178956970/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    await expectImageError(
      decodeImage(await encoded(20, 10, 'png'), { maxPixels: 199 }),
      'image',
      /limit is 199/,
    );
  });

  it('IM2: truncated, corrupt and empty images are typed errors', async () => {
    const png = await encoded(64, 64, 'png');
    const jpeg = await encoded(64, 64, 'jpeg');
    await expectImageError(
      decodeImage(png.subarray(0, png.length >> 1)),
      'image',
      /truncated or corrupt|not a readable/,
    );
    await expectImageError(
      decodeImage(jpeg.subarray(0, jpeg.length >> 1)),
      'image',
      /truncated or corrupt|not a readable/,
    );
    await expectImageError(decodeImage(new Uint8Array(0)), 'image', /empty/);
    await expectImageError(decodeImage(Buffer.from('definitely not an image')), 'image', /not a readable/);
    await expectImageError(decodeImage(pngHeaderOnly(0, 5)), 'image', /not a readable|no pixels/);
    await expectImageError(decodeImage(pngHeaderOnly(8, 8)), 'image', /truncated or corrupt/);
  });

  it('refuses formats other than PNG, JPEG, WebP and GIF', async () => {
    await expectImageError(
      decodeImage(await encoded(4, 4, 'tiff')),
      'image',
      /TIFF image; Scout reads PNG, JPEG, WebP and GIF/,
    );
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    await expectImageError(decodeImage(svg), 'image', /SVG image/);
  });

  it('loadImageFile names the file and reports missing files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scout-decode-'));
    const path = join(dir, 'shot.png');
    writeFileSync(path, (await encoded(3, 2, 'png')).subarray(0, 20));
    await expectImageError(loadImageFile(path), 'image', /^shot\.png is/);
    await expectImageError(loadImageFile(join(dir, 'missing.png')), 'not_found', /missing\.png/);
    await expectImageError(loadImageFile(dir), 'image', /not a regular file/);
  });
});
