import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScoutError } from '../../src/engine/errors.js';
import {
  detectTarget,
  extractCode,
  screenshotMessages,
  screenshotSystemPrompt,
  sniffImageType,
  SCREENSHOT_LIMITS,
} from '../../src/engine/vision/screenshot-to-code.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const image = { data: PNG, mimeType: 'image/png' };

function expectError(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ScoutError);
  expect((caught as ScoutError).code).toBe(code);
  expect((caught as ScoutError).message).toMatch(message);
}

describe('detectTarget', () => {
  const workspace = (manifest: string | undefined) => {
    const dir = mkdtempSync(join(tmpdir(), 'scout-target-'));
    if (manifest !== undefined) writeFileSync(join(dir, 'package.json'), manifest);
    return dir;
  };
  it('reads the framework from package.json', async () => {
    expect(await detectTarget(workspace('{"dependencies": {"react": "^19", "react-dom": "^19"}}'))).toBe(
      'react',
    );
    expect(await detectTarget(workspace('{"devDependencies": {"vue": "^3"}}'))).toBe('vue');
    expect(await detectTarget(workspace('{"dependencies": {"next": "15"}}'))).toBe('react');
    expect(await detectTarget(workspace('{"devDependencies": {"@sveltejs/kit": "2", "svelte": "5"}}'))).toBe(
      'svelte',
    );
  });
  it('falls back to HTML without a usable package.json', async () => {
    expect(await detectTarget(undefined)).toBe('html');
    expect(await detectTarget(workspace(undefined))).toBe('html');
    expect(await detectTarget(workspace('{"dependencies": {"express": "5"}}'))).toBe('html');
    expect(await detectTarget(workspace('{not json'))).toBe('html');
    expect(await detectTarget(workspace('[1, 2]'))).toBe('html');
    const dirAsManifest = workspace(undefined);
    mkdirSync(join(dirAsManifest, 'package.json'));
    expect(await detectTarget(dirAsManifest)).toBe('html');
  });
});

describe('screenshotMessages', () => {
  it('puts the screenshot and the ask in the first user turn after the target brief', () => {
    const m = screenshotMessages({ image, target: 'html', instruction: 'dark mode' });
    expect(m.map((x) => x.role)).toEqual(['system', 'user']);
    expect(m[0]!.content).toBe(screenshotSystemPrompt('html'));
    expect(m[0]!.content).toMatch(/cdn\.tailwindcss\.com/);
    expect(m[0]!.content).toMatch(/complete and runnable/);
    const parts = m[1]!.content as { type: string }[];
    expect(parts[0]).toEqual({ type: 'image', data: PNG, mimeType: 'image/png' });
    expect(parts[1]).toEqual({
      type: 'text',
      text: 'Write the code for this screenshot.\n\nAlso: dark mode',
    });
  });

  it('keeps the image and the previous code in context for follow-ups', () => {
    const m = screenshotMessages({
      image,
      target: 'react',
      history: [
        { code: 'export default function A() {}' },
        { instruction: 'make the header sticky', code: 'B' },
      ],
      instruction: 'add a footer',
    });
    expect(m.map((x) => x.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect((m[1]!.content as { type: string }[])[0]!.type).toBe('image');
    expect(m[2]!.content).toBe('```tsx\nexport default function A() {}\n```');
    expect(m[3]!.content).toMatch(/^Change the code above: make the header sticky/);
    expect(m[4]!.content).toBe('```tsx\nB\n```');
    expect(m[5]!.content).toMatch(
      /^Change the code above: add a footer\n\nAnswer with the complete updated code/,
    );
  });

  it('refuses bad requests with typed errors', () => {
    expectError(
      () => screenshotMessages({ image, target: 'angular' as 'html' }),
      'invalid_argument',
      /target must be/,
    );
    expectError(
      () => screenshotMessages({ image: { data: PNG, mimeType: 'image/tiff' }, target: 'html' }),
      'image',
      /image\/tiff/,
    );
    expectError(
      () => screenshotMessages({ image, target: 'vue', history: [{ code: 'x' }] }),
      'invalid_argument',
      /needs an instruction/,
    );
    const long = 'x'.repeat(SCREENSHOT_LIMITS.instructionChars + 1);
    expectError(
      () => screenshotMessages({ image, target: 'html', instruction: long }),
      'invalid_argument',
      /limit is 4000/,
    );
    const many = Array.from({ length: SCREENSHOT_LIMITS.followUps + 1 }, () => ({
      instruction: 'a',
      code: 'b',
    }));
    expectError(
      () => screenshotMessages({ image, target: 'html', history: many }),
      'invalid_argument',
      /at most 16/,
    );
  });
});

describe('extractCode', () => {
  it('takes the fenced block in the target language', () => {
    const answer = 'Here it is:\n```css\n.a{}\n```\n```html\n<!DOCTYPE html>\n<html></html>\n```\nEnjoy!';
    expect(extractCode(answer, 'html')).toBe('<!DOCTYPE html>\n<html></html>');
  });
  it('falls back to the longest block, keeps a block cut off by the token limit, and accepts bare markup', () => {
    expect(extractCode('```\nshort\n```\n```text\nmuch longer block\n```', 'svelte')).toBe(
      'much longer block',
    );
    expect(extractCode('```tsx\nexport default function App() {\n  return <div/>;', 'react')).toBe(
      'export default function App() {\n  return <div/>;',
    );
    expect(extractCode('~~~vue\n<template></template>\n~~~', 'vue')).toBe('<template></template>');
    expect(extractCode('  <!DOCTYPE html><html></html>\n', 'html')).toBe('<!DOCTYPE html><html></html>');
    // A fence inside the code (a longer outer fence) does not end the block early.
    expect(extractCode('````html\n<pre>\n```\n</pre>\n````', 'html')).toBe('<pre>\n```\n</pre>');
  });
  it('finds nothing in prose', () => {
    expect(extractCode('I cannot see an interface in this picture.', 'html')).toBeUndefined();
    expect(extractCode('```html\n   \n```', 'html')).toBeUndefined();
  });
});

describe('sniffImageType', () => {
  it('knows the four formats by their signatures', () => {
    expect(sniffImageType(PNG)).toBe('image/png');
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(new TextEncoder().encode('GIF89a'))).toBe('image/gif');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WAVE'))).toBeUndefined();
    expect(sniffImageType(new Uint8Array(0))).toBeUndefined();
  });
});
