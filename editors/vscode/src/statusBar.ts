// The status bar item: a thin vscode wrapper over status.ts.

import * as vscode from 'vscode';
import { formatStatus, initialStatus, reduceStatus, StatusEvent, StatusState } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: StatusState = initialStatus;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('infilld.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'infilld';
    this.item.command = command;
    this.render();
    this.item.show();
  }

  get current(): StatusState {
    return this.state;
  }

  apply(event: StatusEvent): void {
    this.state = reduceStatus(this.state, event);
    this.render();
  }

  private render(): void {
    const view = formatStatus(this.state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
