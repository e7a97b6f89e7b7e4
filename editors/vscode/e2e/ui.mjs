// What a user does and sees in the workbench, as Playwright steps over the DOM: the
// editor's lines and ghost text, the status bar item, the command palette, the output
// panel and the settings editor.

import { sleep, until } from './workbench.mjs';

export const STATUS_ITEM = '[id="infilld.infilld.infilld.status"]';
const EDITOR = '.editor-group-container .monaco-editor';

export class Ui {
  constructor(page) {
    this.page = page;
  }

  // --- editor

  async openFile(name) {
    await this.page.getByRole('treeitem', { name }).first().dblclick();
    await until(`the editor tab of ${name}`, () =>
      this.page.$eval('.tabs-container .tab.active', (tab) => tab.textContent).catch(() => '').then((t) => t.includes(name)),
    );
    await this.page.waitForSelector(`${EDITOR} .view-lines`);
    await this.page.click(`${EDITOR} .view-lines`);
  }

  /** Moves the cursor to LINE:COLUMN (1-based, as in the status bar's "Ln, Col"). */
  async goTo(line, column = 1) {
    await this.page.keyboard.press('Control+G');
    await this.page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await this.page.keyboard.type(`${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await until(`the cursor at ${line}:${column}`, async () => (await this.cursor()) === `Ln ${line}, Col ${column}`);
  }

  /** "Ln 10, Col 13" from the status bar. */
  cursor() {
    return this.page.$eval('[id="status.editor.selection"]', (e) => e.textContent.trim()).catch(() => '');
  }

  async type(text, delay = 60) {
    await this.page.keyboard.type(text, { delay });
  }

  /** Line `n`'s text as rendered, without ghost text; null when the line is not on screen. */
  lineText(n) {
    return this.page.evaluate(
      ({ editor, n }) => {
        const root = document.querySelector(editor);
        if (!root) return null;
        const number = [...root.querySelectorAll('.line-numbers')].find((e) => e.textContent.trim() === String(n));
        if (!number) return null;
        const top = number.parentElement.style.top;
        const line = [...root.querySelectorAll('.view-lines .view-line')].find((e) => e.style.top === top);
        if (!line) return null;
        const copy = line.cloneNode(true);
        for (const ghost of copy.querySelectorAll('[class*="ghost-text"]')) ghost.remove();
        return copy.textContent.replace(/\u00a0/g, ' ');
      },
      { editor: EDITOR, n },
    );
  }

  /** The ghost text on screen ('' when none): inline parts, then any further lines. */
  ghostText() {
    return this.page.evaluate((editor) => {
      const root = document.querySelector(editor);
      if (!root) return '';
      const inline = [...root.querySelectorAll('.view-lines .ghost-text-decoration, .view-lines .ghost-text-decoration-preview')]
        .map((e) => e.textContent)
        .join('');
      const below = [...root.querySelectorAll('.ghost-text .view-line, .ghost-text-view-zone .view-line')].map((e) => e.textContent);
      return [inline, ...below].join('\n').replace(/\u00a0/g, ' ').replace(/\n+$/, '');
    }, EDITOR);
  }

  async waitGhost(what, ms = 30000) {
    return until(what, () => this.ghostText(), ms);
  }

  async save() {
    await this.page.keyboard.press('Control+S');
    await until('the editor saved (no dirty tab)', () =>
      this.page.$('.tabs-container .tab.active.dirty').then((dirty) => dirty === null),
    );
  }

  // --- status bar

  /** The infilld item: its text ("infilld 194 ms") and its label (text and tooltip). */
  status() {
    return this.page
      .$eval(STATUS_ITEM, (e) => ({ text: e.textContent.trim(), label: e.getAttribute('aria-label') ?? '' }))
      .catch(() => ({ text: '', label: '' }));
  }

  /** Every label the item has shown since the page loaded (recorded by recordStatus()). */
  statusHistory() {
    return this.page.evaluate(() => window.__infilldStatus ?? []);
  }

  // --- commands, notifications, output

  async runCommand(title) {
    await this.page.keyboard.press('F1');
    await this.page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await this.page.keyboard.type(title);
    // The row whose label is the title itself (the palette also lists fuzzy matches).
    const row = this.page
      .locator('.quick-input-widget .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
      .first();
    try {
      await row.waitFor({ state: 'visible', timeout: 15000 });
    } catch (error) {
      await this.page.keyboard.press('Escape');  // leave no palette open for the next keys
      throw new Error(`no command "${title}" in the palette: ${error.message}`);
    }
    await row.click();
  }

  notifications() {
    return this.page.$$eval('.notification-toast .notification-list-item-message', (els) => els.map((e) => e.textContent));
  }

  async clearNotifications() {
    await this.page.$$eval('.notification-toast', (els) => els.length).then(async (n) => {
      if (n > 0) await this.runCommand('Notifications: Clear All Notifications');
    });
  }

  /** The lines of the output channel on screen in the panel (the panel maximised so all fit). */
  outputLines() {
    return this.page.evaluate(() => {
      const editor = document.querySelector('.panel .output-view .monaco-editor, .panel [id="workbench.panel.output"] .monaco-editor');
      if (!editor) return [];
      return [...editor.querySelectorAll('.view-lines .view-line')]
        .map((e) => ({ top: parseFloat(e.style.top), text: e.textContent.replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text);
    });
  }

  /** The output channel the panel shows now (the selected entry of its channel picker). */
  outputChannel() {
    return this.page
      .$eval('.panel .monaco-select-box', (select) => select.options[select.selectedIndex]?.textContent ?? '')
      .catch(() => '');
  }

  // --- settings editor

  async openSettings() {
    await this.runCommand('Preferences: Open User Settings');
    await this.page.waitForSelector('.settings-editor .suggest-input-container');
  }

  /**
   * Replaces the user settings with `settings` as a user does it in settings.json: opened by
   * the settings editor's "Open Settings (JSON)" button, edited and saved in the editor. VS Code reloads
   * its configuration from its own save; a write from outside would wait on its file watcher,
   * which a busy machine can starve.
   */
  async writeSettingsJson(settings) {
    // The settings editor's own button (its title bar), as a user clicks it.
    await this.page.click('[aria-label="Open Settings (JSON)"]');
    const editor = '.monaco-editor[data-uri$="/User/settings.json"]';
    await this.page.waitForSelector(`${editor} .view-lines`);
    await this.page.click(`${editor} .view-lines`);
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.press('Delete');
    // One line: typed line by line, the editor would indent each after the last.
    await this.page.keyboard.insertText(JSON.stringify(settings));
    await this.page.keyboard.press('Control+S');
  }

  /** Closes the modal editor (the settings editor opens in one) if one is open. */
  async closeModal() {
    const close = this.page.locator('[aria-label^="Close Modal Editor"]').first();
    if (await close.isVisible().catch(() => false)) await close.click();
    await until('no modal editor', async () => !(await close.isVisible().catch(() => false)));
  }

  /** The settings editor's row for `infilld.<key>`, found by its label ("maxTokens" -> "Max Tokens"). */
  async settingRow(key) {
    const label = key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
    const query = `infilld.${key}`;
    const search = '.settings-editor .suggest-input-container';
    await until(`the settings search to read ${query}`, async () => {
      await this.page.click(`${search} .view-lines`);
      await this.page.keyboard.press('Control+A');
      await this.page.keyboard.type(query);
      return (await this.page.$eval(`${search} .view-lines`, (e) => e.textContent.replace(/\u00a0/g, ' '))) === query;
    }, 10000, 200);
    const row = this.page.locator('.settings-editor .setting-item-contents', {
      has: this.page.locator('.setting-item-label', { hasText: new RegExp(`^${label}$`) }),
    });
    await row.first().waitFor({ state: 'visible' });
    return row.first();
  }

  /** Sets `infilld.<key>` through its control in the settings editor. */
  async setSetting(key, value) {
    const row = await this.settingRow(key);
    if (typeof value === 'boolean') {
      const box = row.locator('.setting-value-checkbox');
      const checked = (await box.getAttribute('aria-checked')) === 'true';
      if (checked !== value) await box.click();
    } else if ((await row.locator('select').count()) > 0) {
      await row.locator('select').selectOption(String(value));
    } else {
      const input = row.locator('input');
      await input.fill(String(value));
      await input.press('Tab');
    }
    await sleep(300);  // the settings editor writes settings.json after a short debounce
  }
}

/** Records every label of the infilld status item, from before the extension starts. */
export function recordStatus(page, selector = STATUS_ITEM) {
  return page.addInitScript((selector) => {
    window.__infilldStatus = [];
    const seen = () => {
      const item = document.querySelector(selector);
      const label = item?.getAttribute('aria-label');
      const all = window.__infilldStatus;
      if (label && all[all.length - 1] !== label) all.push(label);
    };
    new MutationObserver(seen).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  }, selector);
}
