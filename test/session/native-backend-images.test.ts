/**
 * Images through the built-in engine's Backend, as the sidecar and `scout serve` use it: the vision
 * encoder loads on first use, the image's features fill its <|patch|> positions, and the answer
 * streams like any other. Runs on the tiny vision fixture with the real vocabulary.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNativeBackend, type NativeBackend } from '../../src/engine/session/native-backend.js';
import { visionChatModelDir } from '../fixtures/llama4-vision.js';

let backend: NativeBackend;
let image: Uint8Array;

beforeAll(async () => {
  backend = await createNativeBackend({
    model: await visionChatModelDir(),
    contextSize: 2048,
    kvStore: false,
  });
  const pixels = Buffer.alloc(100 * 40 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + ((i * i) % 11)) % 256;
  image = new Uint8Array(
    await sharp(pixels, { raw: { width: 100, height: 40, channels: 3 } })
      .png()
      .toBuffer(),
  );
}, 120_000);
afterAll(() => backend?.dispose());

describe('NativeBackend with images', () => {
  it('answers about an image, streaming, and differently from the same text without it', async () => {
    const ask = async (withImage: boolean) => {
      const deltas: string[] = [];
      const r = await backend.chat(
        {
          messages: [
            {
              role: 'user',
              content: [
                ...(withImage ? [{ type: 'image' as const, data: image, mimeType: 'image/png' }] : []),
                { type: 'text' as const, text: 'What is in this picture?' },
              ],
            },
          ],
          params: { maxTokens: 8 },
        },
        (d) => deltas.push(d),
      );
      expect(deltas.join('')).toBe(r.text);
      return r;
    };
    const withImage = await ask(true);
    const without = await ask(false);
    // A 1×3 tile grid plus the global tile: 4 × 144 patch positions and their separators.
    expect(withImage.stats.promptTokens - without.stats.promptTokens).toBeGreaterThan(4 * 144);
    expect(withImage.stats.completionTokens).toBeGreaterThan(0);
    expect(withImage.stats.reusedTokens).toBe(0); // image prompts never reuse token-keyed caches
  });

  it('refuses a broken image with a typed error', async () => {
    const broken = {
      type: 'image' as const,
      data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2]),
      mimeType: 'image/png',
    };
    await expect(
      backend.chat({ messages: [{ role: 'user', content: [broken] }] }, () => {}),
    ).rejects.toMatchObject({
      code: 'image',
    });
  });
});
