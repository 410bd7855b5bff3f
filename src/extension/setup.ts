/**
 * The first-run walkthrough's commands: find the model or download it, show what fits, load.
 *
 * The Hugging Face token lives in VS Code's secret storage (the OS keychain), never in settings; it is
 * sent to the engine with each download request and the engine keeps nothing. Without a stored token
 * the engine falls back to HF_TOKEN or the Hugging Face CLI's login, which `model/setup` reports.
 */
import * as vscode from 'vscode';
import type { ModelSetupResult } from '../engine/protocol.js';
import { registerEach, withProgress } from './commands.js';
import { formatBytes } from './format.js';
import { planMarkdown } from './planText.js';
import type { ScoutClient } from './sidecar/client.js';

/** The secret storage key of the user's Hugging Face token. */
export const HUB_TOKEN_KEY = 'scout.huggingFaceToken';
/** Llama 4 Scout Instruct's safetensors, for the question before a download (the Hub's listing). */
const SCOUT_DOWNLOAD_BYTES = 218e9;

interface Deps {
  context: vscode.ExtensionContext;
  client: ScoutClient;
}

export function registerSetup(context: vscode.ExtensionContext, client: ScoutClient): void {
  const deps: Deps = { context, client };
  registerEach(context, {
    'scout.setupModel': () => findOrDownload(deps),
    // A repository id may be passed (tests, or a fine-tune): default is Llama 4 Scout Instruct.
    'scout.downloadModel': (repo) => downloadModel(deps, typeof repo === 'string' ? repo : undefined),
    'scout.showPlan': () => showPlan(deps),
    'scout.setHubToken': () => setHubToken(context),
    'scout.clearHubToken': async () => {
      await context.secrets.delete(HUB_TOKEN_KEY);
      void vscode.window.showInformationMessage('Scout: the Hugging Face token was removed.');
    },
  });
}

/** Walkthrough step 1: use the model that is there, or offer to download it. */
async function findOrDownload(deps: Deps): Promise<ModelSetupResult> {
  const setup = await withProgress('Looking for Llama 4 Scout', false, () => deps.client.setupStatus());
  if (setup.chosen) {
    void vscode.window
      .showInformationMessage(`Scout found a model at ${setup.chosen}.`, 'Load Model', 'Show What Fits')
      .then((choice) => runChoice(choice));
    return setup;
  }
  const unusable = setup.models.find((m) => !m.usable);
  const why = unusable ? ` (${unusable.path} cannot be used: ${unusable.problem ?? 'incomplete'})` : '';
  void vscode.window
    .showInformationMessage(
      `Scout found no Llama 4 Scout model${why}. Download ${setup.repo} (about ${formatBytes(SCOUT_DOWNLOAD_BYTES)}) into ${setup.cacheDir}, or choose a folder that has it.`,
      'Download',
      'Select Model Folder',
      'Show What Fits',
    )
    .then((choice) => runChoice(choice));
  return setup;
}

const CHOICES: Record<string, string> = {
  'Load Model': 'scout.loadModel',
  'Show What Fits': 'scout.showPlan',
  Download: 'scout.downloadModel',
  'Select Model Folder': 'scout.selectModelFolder',
};

function runChoice(choice: string | undefined): void {
  if (choice && CHOICES[choice]) void vscode.commands.executeCommand(CHOICES[choice]);
}

/** Walkthrough step 1b: the download, with the stored token (asked for when none is available). */
async function downloadModel(deps: Deps, repo?: string): Promise<string | undefined> {
  let token = await deps.context.secrets.get(HUB_TOKEN_KEY);
  if (!token) {
    const setup = await deps.client.setupStatus();
    repo ??= setup.repo;
    if (!setup.hasToken) {
      const choice = await vscode.window.showWarningMessage(
        `${repo} is gated: Hugging Face needs a token from an account that accepted Meta's license.`,
        'Set Hugging Face Token',
        'Open the Model Page',
      );
      if (choice === 'Open the Model Page')
        void vscode.env.openExternal(vscode.Uri.parse(`https://huggingface.co/${repo}`));
      if (choice !== 'Set Hugging Face Token') return undefined;
      token = await setHubToken(deps.context);
      if (!token) return undefined;
    }
  }
  const target = repo ?? (await deps.client.setupStatus()).repo;
  const result = await withProgress(`Downloading ${target}`, true, (signal, report) =>
    deps.client.downloadModel({ repo: target, ...(token ? { token } : {}) }, report, signal),
  );
  void vscode.window
    .showInformationMessage(
      `Scout downloaded ${result.files} files (${formatBytes(result.fetchedBytes)} fetched) to ${result.path}.`,
      'Load Model',
      'Show What Fits',
    )
    .then((choice) => runChoice(choice));
  return result.path;
}

/** Walkthrough step 2: what fits on this machine, as a Markdown page. */
async function showPlan(deps: Deps): Promise<void> {
  const plan = await withProgress('Measuring this machine', false, () => deps.client.planModel());
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: planMarkdown(plan) });
  await vscode.window.showTextDocument(doc, { preview: true });
}

async function setHubToken(context: vscode.ExtensionContext): Promise<string | undefined> {
  const token = await vscode.window.showInputBox({
    title: 'Hugging Face token (kept in VS Code secret storage)',
    prompt:
      'A read token from huggingface.co/settings/tokens, of an account that accepted the Llama 4 license',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) =>
      /^hf_[A-Za-z0-9]{10,200}$/.test(v.trim())
        ? undefined
        : 'A Hugging Face token is hf_ followed by letters and digits',
  });
  if (!token) return undefined;
  await context.secrets.store(HUB_TOKEN_KEY, token.trim());
  void vscode.window.showInformationMessage('Scout: the Hugging Face token is stored in secret storage.');
  return token.trim();
}
