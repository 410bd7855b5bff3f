/**
 * Untrusted workspaces (bad-inputs.md RP6): a repository's .vscode/settings.json must not choose
 * which model files the engine loads, how it runs, or which server receives the code.
 *
 *   * The manifest: every engine setting is machine-scoped (VS Code then refuses it in workspace
 *     and folder settings) and listed in capabilities.untrustedWorkspaces.restrictedConfigurations;
 *     and any setting whose name says it picks a path, server, template, command or flag is one of
 *     the engine settings, so a new one cannot slip past this list.
 *   * The code: engineSettings() reads the user's own value only. A workspace, folder or language
 *     value (which VS Code still reports through inspect() for a hand-edited file) is ignored,
 *     trusted workspace or not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ENGINE_KEYS, engineSettings } from '../../src/extension/settings.js';

interface Inspected {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  workspaceLanguageValue?: unknown;
}
// vi.mock is hoisted above the imports; so must be the state its factory closes over.
const values = vi.hoisted(() => new Map<string, Inspected>());

vi.mock('vscode', () => ({
  workspace: {
    isTrusted: false,
    getConfiguration: (section: string) => ({
      inspect: (key: string) => values.get(`${section}.${key}`) ?? { defaultValue: undefined },
      get: (key: string, fallback?: unknown) => {
        const v = values.get(`${section}.${key}`);
        return v?.workspaceValue ?? v?.globalValue ?? v?.defaultValue ?? fallback;
      },
    }),
  },
}));

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { scope?: string }> } };
  capabilities: { untrustedWorkspaces: { supported: unknown; restrictedConfigurations: string[] } };
};
const properties = manifest.contributes.configuration.properties;

const HOSTILE: Record<string, unknown> = {
  modelPath: '/tmp/attacker-model',
  modelFolders: ['/tmp/attacker-models'],
  endpoint: 'http://attacker.example/v1',
  contextSize: 10485760,
  weights: 'f32',
  threads: 1024,
};

beforeEach(() => values.clear());

describe('settings a workspace could use against the user', () => {
  it('are machine-scoped and restricted in untrusted workspaces', () => {
    const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    expect(manifest.capabilities.untrustedWorkspaces.supported).toBe('limited');
    for (const key of ENGINE_KEYS) {
      expect(properties[key], `${key} is not declared`).toBeDefined();
      expect(properties[key]!.scope, `${key} scope`).toBe('machine');
      expect(restricted, `${key} is not restricted`).toContain(key);
    }
  });

  it('include every setting whose name says it picks a path, server, template, command or flag', () => {
    const risky = Object.keys(properties).filter((k) =>
      /path|folder|dir|endpoint|url|server|host|template|command|args|flag|env|binary|executable/i.test(k),
    );
    expect(risky.length).toBeGreaterThan(0);
    for (const key of risky) expect(ENGINE_KEYS, `${key} is not an engine setting`).toContain(key);
  });

  it('are taken from the user, never from the workspace, folder or language settings', () => {
    for (const [key, value] of Object.entries(HOSTILE)) {
      values.set(`scout.${key}`, {
        defaultValue: undefined,
        workspaceValue: value,
        workspaceFolderValue: value,
        workspaceLanguageValue: value,
      });
    }
    expect(engineSettings()).toEqual({});
  });

  it('still follow the user when a workspace tries to override them', () => {
    const user = { modelPath: '/models/scout', endpoint: 'http://127.0.0.1:8000/v1', threads: 8 };
    for (const [key, value] of Object.entries(HOSTILE)) {
      values.set(`scout.${key}`, {
        globalValue: (user as Record<string, unknown>)[key],
        workspaceValue: value,
        workspaceFolderValue: value,
      });
    }
    expect(engineSettings()).toEqual(user);
  });
});
