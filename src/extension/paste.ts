/**
 * Pasting an image into a code file offers "Generate code from this image (Scout)" in the paste
 * widget. Choosing it asks the engine for code reproducing the screenshot, in the file's language,
 * and inserts that code instead of the image; VS Code shows the paste as running and can cancel it.
 */
import * as vscode from 'vscode';
import { answer } from './chat/answer.js';
import { type CheckedImage, checkImage, codeFromAnswer, screenshotPrompt } from './images.js';
import { log } from './log.js';
import { showError } from './notify.js';
import type { ScoutClient } from './sidecar/client.js';

const KIND = vscode.DocumentDropOrPasteEditKind.Empty.append('scout', 'screenshotToCode');
const IMAGE_MIMES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];

class ScreenshotPasteEdit extends vscode.DocumentPasteEdit {
  constructor(
    readonly image: CheckedImage,
    readonly languageId: string,
  ) {
    super('', 'Generate code from this image (Scout)', KIND);
  }
}

class ScreenshotPasteProvider implements vscode.DocumentPasteEditProvider<ScreenshotPasteEdit> {
  constructor(private readonly client: ScoutClient) {}

  async provideDocumentPasteEdits(
    doc: vscode.TextDocument,
    _ranges: readonly vscode.Range[],
    data: vscode.DataTransfer,
  ): Promise<ScreenshotPasteEdit[] | undefined> {
    for (const mime of IMAGE_MIMES) {
      const file = data.get(mime)?.asFile();
      if (!file) continue;
      try {
        return [
          new ScreenshotPasteEdit(checkImage(await file.data(), file.name || 'pasted image'), doc.languageId),
        ];
      } catch (e) {
        log().info(`paste: not offering screenshot-to-code: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      }
    }
    return undefined;
  }

  async resolveDocumentPasteEdit(
    edit: ScreenshotPasteEdit,
    token: vscode.CancellationToken,
  ): Promise<ScreenshotPasteEdit> {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const result = await answer(
        this.client,
        { text: screenshotPrompt(edit.languageId), images: [edit.image], withRepository: false },
        { onDelta: () => undefined, onProgress: () => undefined },
        controller.signal,
      );
      edit.insertText = codeFromAnswer(result.text);
    } catch (e) {
      void showError('generating code from the image', e);
    } finally {
      sub.dispose();
    }
    return edit;
  }
}

export function registerPasteProvider(context: vscode.ExtensionContext, client: ScoutClient): void {
  context.subscriptions.push(
    vscode.languages.registerDocumentPasteEditProvider(
      [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-remote' }],
      new ScreenshotPasteProvider(client),
      {
        providedPasteEditKinds: [KIND],
        pasteMimeTypes: IMAGE_MIMES,
      },
    ),
  );
}
