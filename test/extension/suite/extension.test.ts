/**
 * Scout in a real VS Code (code-server 1.139.1, remote extension host on Node 24), driving the real
 * sidecar. Tests that need a model use the tiny chat model the runner passes as SCOUT_MODEL.
 */
import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ModelSetupResult } from '../../../src/engine/protocol.js';
import type { ScoutApi } from '../../../src/extension/extension.js';
import { engineSettings } from '../../../src/extension/settings.js';

const EXTENSION_ID = 'scout.scout';

async function api(): Promise<ScoutApi> {
  const ext = vscode.extensions.getExtension<ScoutApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext.isActive ? ext.exports : await ext.activate();
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the last turn in VS Code's Chat view matches `pattern` (read through its Copy All). */
async function untilTranscript(pattern: RegExp): Promise<void> {
  let last = '';
  await until(
    `the chat to show ${pattern}`,
    async () => {
      await vscode.commands.executeCommand('workbench.action.chat.copyAll');
      const all = await vscode.env.clipboard.readText();
      last = all.slice(all.lastIndexOf('User: '));
      return pattern.test(last);
    },
    20_000,
  ).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; the chat shows: ${last.slice(-500)}`);
  });
}

async function ask(model: vscode.LanguageModelChat, text: string): Promise<string> {
  const cts = new vscode.CancellationTokenSource();
  const response = await model.sendRequest(
    [vscode.LanguageModelChatMessage.User(text)],
    { modelOptions: { maxTokens: 4 } },
    cts.token,
  );
  let out = '';
  for await (const part of response.text) out += part;
  return out;
}

export const tests: Array<[string, () => Promise<void>]> = [
  [
    'activates within 50 ms without starting the engine',
    async () => {
      const scout = await api();
      console.log(`[scout-test]   activation took ${scout.activationMs.toFixed(1)} ms`);
      assert.ok(scout.activationMs <= 50, `activation took ${scout.activationMs.toFixed(1)} ms`);
      assert.equal(scout.engineState(), 'stopped');
    },
  ],
  [
    'registers every command it contributes',
    async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const contributed = (ext.packageJSON.contributes.commands as Array<{ command: string }>).map(
        (c) => c.command,
      );
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(
        contributed.filter((c) => !registered.has(c)),
        [],
      );
    },
  ],
  [
    'offers its model in the model picker without starting the engine',
    async () => {
      const models = await vscode.lm.selectChatModels({ vendor: 'scout' });
      assert.equal(models.length, 1);
      assert.equal(models[0]!.id, 'llama-4-scout');
      assert.ok(models[0]!.maxInputTokens > 0);
      assert.equal((await api()).engineState(), 'stopped');
    },
  ],
  [
    'refuses engine settings from the workspace and reads them from the user only',
    async () => {
      const config = vscode.workspace.getConfiguration('scout');
      await assert.rejects(async () =>
        config.update('modelPath', '/tmp/evil-model', vscode.ConfigurationTarget.Workspace),
      );
      assert.notEqual(engineSettings().modelPath, '/tmp/evil-model');
    },
  ],
  [
    'runs @scout in VS Code’s Chat view',
    async () => {
      await vscode.commands.executeCommand('workbench.action.chat.open', {
        query: '@scout where is the main function?',
        modelSelector: { vendor: 'scout', id: 'llama-4-scout' },
      });
      // Nothing else has started the engine yet: only the participant's request can have.
      await until('@scout to start the engine', async () => (await api()).engineState() === 'running');
    },
  ],
  [
    'restarts the engine on command: a new process replaces the old one',
    async () => {
      const before = (await api()).enginePid();
      assert.ok(before, 'the engine should be running after @scout');
      await vscode.commands.executeCommand('scout.restartEngine');
      await until('the engine to run again', async () => (await api()).engineState() === 'running');
      assert.notEqual((await api()).enginePid(), before);
    },
  ],
  [
    'answers through the language model provider with the real engine and the tiny model',
    async () => {
      const [model] = await vscode.lm.selectChatModels({ vendor: 'scout' });
      const text = await ask(model!, 'hello');
      assert.equal(typeof text, 'string');
      assert.equal((await api()).engineState(), 'running');
    },
  ],
  [
    'counts tokens with the engine’s tokenizer once the engine runs',
    async () => {
      assert.equal((await api()).engineState(), 'running');
      const [model] = await vscode.lm.selectChatModels({ vendor: 'scout' });
      // Two tokens ('hello', ' world') in Llama 4's tokenizer; the length estimate would say 4.
      assert.equal(await model!.countTokens('hello world'), 2);
    },
  ],
  [
    'packs the repository to a file and opens it',
    async () => {
      const target = vscode.Uri.file(join(tmpdir(), `scout-pack-${Date.now()}.txt`));
      await vscode.commands.executeCommand('scout.packRepositoryToFile', target);
      const text = Buffer.from(await vscode.workspace.fs.readFile(target)).toString('utf8');
      assert.match(text, /^<scout-repository /);
      assert.match(text, /<file path="tools\/responder\.mjs"/);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, target.fsPath);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

      // After a pack the engine trusts the file watcher's reports instead of walking the folder
      // again: a file created now appears in the next pack only if the watcher reported it.
      const folder = vscode.workspace.workspaceFolders![0]!.uri;
      const added = vscode.Uri.joinPath(folder, 'added-later.ts');
      await vscode.workspace.fs.writeFile(added, Buffer.from('export const addedLater = 1;\n'));
      await until(
        'the next pack to include the new file',
        async () => {
          await vscode.commands.executeCommand('scout.packRepositoryToFile', target);
          await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
          const again = Buffer.from(await vscode.workspace.fs.readFile(target)).toString('utf8');
          return again.includes('<file path="added-later.ts"');
        },
        10_000,
      );
      await vscode.workspace.fs.delete(added);
      await vscode.workspace.fs.delete(target);
    },
  ],
  [
    'finds the model for the walkthrough and shows what fits',
    async () => {
      const setup = await vscode.commands.executeCommand<ModelSetupResult>('scout.setupModel');
      assert.equal(setup.chosen, process.env.SCOUT_MODEL);
      assert.ok(setup.models.some((m) => m.usable && m.path === setup.chosen));
      assert.equal(setup.plan.source, setup.chosen);
      await vscode.commands.executeCommand('scout.showPlan');
      const page = vscode.window.activeTextEditor?.document;
      assert.equal(page?.languageId, 'markdown');
      assert.match(page!.getText(), /^# What fits on this machine/);
      assert.match(page!.getText(), /\| ram \| bf16 \| bf16 \|/);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    },
  ],
  [
    '@scout /explain and /screenshot say what they need when it is missing',
    async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.commands.executeCommand('workbench.action.chat.open', {
        query: '@scout /explain',
        modelSelector: { vendor: 'scout', id: 'llama-4-scout' },
      });
      await untilTranscript(/^User: @scout \/explain\n\nScout: Select some code in an editor/);
      await vscode.commands.executeCommand('workbench.action.chat.open', {
        query: '@scout /screenshot',
        modelSelector: { vendor: 'scout', id: 'llama-4-scout' },
      });
      await untilTranscript(/^User: @scout \/screenshot\n\nScout: Attach a screenshot file/);
    },
  ],
  [
    '@scout /explain explains the selected code with the engine',
    async () => {
      const folder = vscode.workspace.workspaceFolders![0]!.uri;
      const doc = await vscode.workspace.openTextDocument(
        vscode.Uri.joinPath(folder, 'tools', 'responder.mjs'),
      );
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 0, 3, 0);
      await vscode.commands.executeCommand('workbench.action.chat.open', {
        query: '@scout /explain',
        modelSelector: { vendor: 'scout', id: 'llama-4-scout' },
      });
      // The selection was found (no request for one) and the engine's answer streamed in; the tiny
      // model's words are noise, so only their arrival is checked.
      await untilTranscript(/^User: @scout \/explain\n\nScout: (?!Select some code)\S/);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    },
  ],
  [
    'opens the Scout chat view',
    async () => {
      await vscode.commands.executeCommand('scout.chatView.focus');
      await vscode.commands.executeCommand('scout.newChat');
    },
  ],
];
