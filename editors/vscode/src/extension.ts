// infilld for VS Code: starts `infilld lsp` through vscode-languageclient, shows its
// suggestions with our own inline completion provider (inline.ts), keeps the status bar
// up to date, maps the settings and registers the commands.

import * as os from 'os';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  StaticFeature,
  TransportKind,
} from 'vscode-languageclient/node';
import { ACCEPTED_COMMAND, InlineProvider } from './inline';
import { CompletionUpdateParams, DidChangeStatusParams, InlineCompletionItem, LOAD_PROGRESS_TOKEN, Methods, ServerStats } from './protocol';
import {
  buildClientSettings,
  buildServerSettings,
  ClientSettings,
  didChangeConfigurationParams,
  documentSelector,
  initializationOptions,
  JsonValue,
  PathContext,
  SERVER_SETTINGS,
  serverCommandLine,
} from './settings';
import { formatStats, summarizeStats } from './stats';
import { ProgressValue } from './status';
import { StatusBar } from './statusBar';

/**
 * Removes the server's inlineCompletionProvider and completionProvider capabilities before
 * the client's features see them, so the client registers neither provider: inline.ts owns
 * inline completion, and a textDocument/completion request would supersede it on the server.
 */
class OwnInlineCompletion implements StaticFeature {
  fillClientCapabilities(): void {}
  preInitialize(capabilities: { inlineCompletionProvider?: unknown; completionProvider?: unknown }): void {
    delete capabilities.inlineCompletionProvider;
    delete capabilities.completionProvider;
  }
  initialize(): void {}
  getState(): { kind: 'static' } {
    return { kind: 'static' };
  }
  clear(): void {}
}

/** Settings whose change needs a new server process or document selector. */
const RESTART_KEYS = ['infilld.path', 'infilld.serverArgs', 'infilld.languages'];

class Extension implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly log: vscode.LogOutputChannel;
  private readonly statsChannel: vscode.OutputChannel;
  private readonly status: StatusBar;
  private readonly inline: InlineProvider;
  private providerRegistration: vscode.Disposable | undefined;
  private clientSettings: ClientSettings;
  private starting: Promise<void> | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('infilld', { log: true });
    this.statsChannel = vscode.window.createOutputChannel('infilld statistics');
    this.status = new StatusBar('infilld.menu');
    this.clientSettings = this.readClientSettings();
    this.status.apply({ type: 'enabled', enabled: this.clientSettings.enable });
    this.inline = new InlineProvider({
      client: () => (this.client !== undefined && this.client.state !== State.Stopped ? this.client : undefined),
      enabled: () => this.clientSettings.enable,
      streaming: () => this.config().get('streaming') === true,
      log: this.log,
      replied: (latency) => this.status.apply({ type: 'latency', summary: latency.summary() }),
    });
  }

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('infilld');
  }

  private pathContext(): PathContext {
    return { home: os.homedir(), workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath };
  }

  private readClientSettings(): ClientSettings {
    const config = this.config();
    const settings = buildClientSettings((key) => config.get(key), this.pathContext());
    for (const problem of settings.problems) this.log.warn(problem);
    return settings;
  }

  private readServerSettings(): Record<string, JsonValue> {
    const config = this.config();
    const { settings, problems } = buildServerSettings((key) => config.get(key), this.pathContext());
    if (problems.length > 0) {
      for (const problem of problems) this.log.warn(`${problem} (not sent to the server)`);
      void vscode.window.showWarningMessage(`infilld: ${problems.join('; ')}`);
    }
    return settings;
  }

  registerCommands(): void {
    const add = (id: string, run: (...args: never[]) => unknown) =>
      this.context.subscriptions.push(vscode.commands.registerCommand(id, run));
    add('infilld.restart', () => this.restart());
    add('infilld.showLog', () => this.log.show(true));
    add('infilld.toggle', () => this.toggle());
    add('infilld.showStats', () => this.showStats());
    add('infilld.acceptNextWord', () => this.inline.acceptPartial('word'));
    add('infilld.acceptNextLine', () => this.inline.acceptPartial('line'));
    add('infilld.menu', () => this.menu());
    add(ACCEPTED_COMMAND, (item: InlineCompletionItem) => this.inline.accepted(item));
    this.context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)));
  }

  private registerProvider(): void {
    this.providerRegistration?.dispose();
    this.providerRegistration = vscode.languages.registerInlineCompletionItemProvider(
      documentSelector(this.clientSettings.languages),
      this.inline,
    );
  }

  start(): Promise<void> {
    if (this.starting !== undefined) return this.starting;
    this.starting = this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.registerProvider();
    const { command, args } = serverCommandLine(this.clientSettings);
    const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(this.clientSettings.languages),
      outputChannel: this.log,
      initializationOptions: () => initializationOptions(this.readServerSettings()),
      middleware: {
        // Belt and braces with OwnInlineCompletion: never let the client's own providers ask.
        provideInlineCompletionItems: () => undefined,
        provideCompletionItem: () => undefined,
        handleWorkDoneProgress: (token, params, next) => {
          if (token === LOAD_PROGRESS_TOKEN) this.status.apply({ type: 'progress', value: params as ProgressValue });
          next(token, params);
        },
      },
      initializationFailedHandler: (error) => {
        this.status.apply({ type: 'failed', message: `initialize failed: ${String(error)}` });
        return false;
      },
    };
    const client = new LanguageClient('infilld', 'infilld', serverOptions, clientOptions);
    client.registerFeature(new OwnInlineCompletion());
    client.onNotification(Methods.completionUpdate, (params: CompletionUpdateParams) => this.inline.onCompletionUpdate(params));
    client.onNotification(Methods.didChangeStatus, (params: DidChangeStatusParams) => {
      this.status.apply({ type: 'serverStatus', params });
      if (params.state === 'error' && params.message) this.log.error(params.message);
    });
    client.onDidChangeState((e) => {
      if (e.newState === State.Starting) this.status.apply({ type: 'starting' });
      if (e.newState === State.Stopped) {
        this.inline.reset();
        if (this.status.current.phase !== 'error') this.status.apply({ type: 'stopped' });
      }
    });
    this.client = client;
    this.status.apply({ type: 'starting' });
    this.log.info(`starting ${command} ${args.join(' ')}`);
    try {
      await client.start();
    } catch (error) {
      // The client has already shown its own error message; the status bar keeps it.
      const reason = error instanceof Error ? error.message : String(error);
      const hint = /ENOENT/.test(reason) ? ' (set infilld.path to the infilld binary)' : '';
      const message = `cannot start "${command} ${args.join(' ')}": ${reason}${hint}`;
      this.log.error(message);
      this.status.apply({ type: 'failed', message });
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.inline.reset();
    if (client === undefined) return;
    try {
      if (client.needsStop()) await client.stop(2000);
    } catch (error) {
      this.log.warn(`stopping the server: ${String(error)}`);
    }
  }

  async restart(): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.stop();
    this.clientSettings = this.readClientSettings();
    await this.start();
  }

  private async toggle(): Promise<void> {
    const config = this.config();
    const inspected = config.inspect<boolean>('enable');
    const target =
      inspected?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspected?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await config.update('enable', !this.clientSettings.enable, target);
  }

  private async showStats(): Promise<void> {
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      void vscode.window.showWarningMessage('infilld: the server is not running');
      return;
    }
    try {
      const stats = await client.sendRequest<ServerStats>(Methods.stats);
      this.statsChannel.appendLine(`--- ${new Date().toLocaleString()}`);
      for (const line of formatStats(stats, this.inline.latency.summary())) this.statsChannel.appendLine(line);
      this.statsChannel.show(true);
      void vscode.window.showInformationMessage(summarizeStats(stats));
    } catch (error) {
      void vscode.window.showErrorMessage(`infilld/stats failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async menu(): Promise<void> {
    const items: (vscode.QuickPickItem & { command: string; args?: unknown[] })[] = [
      { label: this.clientSettings.enable ? '$(circle-slash) Turn suggestions off' : '$(check) Turn suggestions on', command: 'infilld.toggle' },
      { label: '$(graph) Show statistics', command: 'infilld.showStats' },
      { label: '$(output) Show log', command: 'infilld.showLog' },
      { label: '$(debug-restart) Restart server', command: 'infilld.restart' },
      { label: '$(settings-gear) Open settings', command: 'workbench.action.openSettings', args: ['infilld.'] },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'infilld' });
    if (pick !== undefined) await vscode.commands.executeCommand(pick.command, ...(pick.args ?? []));
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration('infilld')) return;
    if (RESTART_KEYS.some((key) => e.affectsConfiguration(key))) {
      this.log.info('server settings changed: restarting');
      void this.restart();
      return;
    }
    if (e.affectsConfiguration('infilld.enable')) {
      this.clientSettings = this.readClientSettings();
      this.status.apply({ type: 'enabled', enabled: this.clientSettings.enable });
    }
    if (SERVER_SETTINGS.some((spec) => e.affectsConfiguration(`infilld.${spec.key}`))) {
      const client = this.client;
      if (client === undefined || client.state === State.Stopped) return;
      client
        .sendNotification(Methods.didChangeConfiguration, didChangeConfigurationParams(this.readServerSettings()))
        .catch((error: unknown) => this.log.warn(`didChangeConfiguration: ${String(error)}`));
    }
  }

  dispose(): void {
    this.providerRegistration?.dispose();
    this.inline.dispose();
    this.status.dispose();
    this.statsChannel.dispose();
    this.log.dispose();
  }
}

let extension: Extension | undefined;

export function activate(context: vscode.ExtensionContext): void {
  extension = new Extension(context);
  context.subscriptions.push(extension);
  extension.registerCommands();
  // Not awaited: activation should not wait for the server process.
  void extension.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}
