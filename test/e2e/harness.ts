/**
 * End-to-end harness: the packaged extension in a real VS Code (code-server, Node 24) driven by
 * Debian's Chromium through playwright-core. Everything lives in a temp dir that close() removes:
 * the user data and extensions dirs, HOME/XDG dirs, UNMETERED_HOME and the workspace.
 * Needs `bash test/e2e/setup.sh` once (it caches code-server and Node 24 under .e2e/).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '../..');
const E2E_DIR = path.join(ROOT, '.e2e');
export const SCREENSHOT_DIR = path.join(E2E_DIR, 'screenshots');
const NODE24 = path.join(E2E_DIR, 'node24', 'bin', 'node');
const CODE_SERVER = path.join(E2E_DIR, 'code-server', 'lib', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';
/** Without the networking flags Chromium floods the closed network with refused connections. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium with the flags this machine needs, for pages that need no VS Code (e.g. an exported report). */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium (${CHROMIUM}) is missing. Run: bash test/e2e/setup.sh`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** The status bar item takes 6–9 s after page load on a 2-core machine; leave room for a busy one. */
const UI_TIMEOUT_MS = 60_000;

function missingTools(): string[] {
  const missing: string[] = [];
  if (!existsSync(NODE24)) missing.push(`Node 24 (${NODE24})`);
  if (!existsSync(CODE_SERVER)) missing.push(`code-server (${CODE_SERVER})`);
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM})`);
  return missing;
}

let packaged: Promise<string> | undefined;

/**
 * Builds dist/unmetered.vsix once per test process with the project's own `npm run package`, unless
 * UNMETERED_E2E_VSIX names one already built for this run (test/all.mjs packages once for all suites).
 */
export function packageExtension(): Promise<string> {
  return (packaged ??= (async () => {
    const prebuilt = process.env.UNMETERED_E2E_VSIX;
    if (prebuilt) {
      if (!existsSync(prebuilt)) throw new Error(`UNMETERED_E2E_VSIX names ${prebuilt}, which does not exist`);
      return prebuilt;
    }
    const vsix = path.join(ROOT, 'dist', 'unmetered.vsix');
    const t0 = Date.now();
    const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    if (r.status !== 0 || !existsSync(vsix)) {
      throw new Error(`npm run package failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    log(`packaged ${path.relative(ROOT, vsix)} in ${Date.now() - t0} ms`);
    return vsix;
  })());
}

export interface StartOptions {
  /** The .vsix to install; defaults to the freshly packaged extension. `null` starts VS Code without it. */
  vsix?: string | null;
  /** Written to <user-data-dir>/User/settings.json before code-server starts. */
  settings?: Record<string, unknown>;
  /** Files to create in the workspace, relative path → content. */
  workspaceFiles?: Record<string, string>;
  /** Runs before code-server starts, with the temp dirs (e.g. to pre-fill the ledger in UNMETERED_HOME). */
  prepare?: (dirs: Dirs) => Promise<void> | void;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
}

export interface Dirs {
  root: string;
  home: string;
  userData: string;
  extensions: string;
  workspace: string;
  /** UNMETERED_HOME: the data directory the extension reads the ledger from. */
  unmeteredHome: string;
  /** TMPDIR: the editor's IPC sockets (vscode-ipc-*.sock, vscode-git-*.sock), removed with the run's folder. */
  tmp: string;
}

export interface StatusBarItem {
  text: string;
  ariaLabel: string;
  /** The container's classes, e.g. `statusbar-item right error-kind`. */
  className: string;
  /** The computed background colour of the item, e.g. `rgb(194, 38, 38)`. */
  background: string;
  /** The workbench's CSS variable values for the status bar item warning/error backgrounds. */
  themeColors: { warning: string; error: string };
  /** Rendered width in CSS pixels. */
  width: number;
}

function log(msg: string): void {
  process.stderr.write(`[e2e] ${msg}\n`);
}

/** A port nothing listens on right now (for a server the test or the extension starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The environment code-server runs with: nothing of the caller's VS Code, HOME and XDG dirs in the temp root. */
function serverEnv(dirs: Dirs, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // VSCODE_IPC_HOOK_CLI and friends would turn code-server into a client of the caller's editor.
    if (!k.startsWith('VSCODE_') && !k.startsWith('ELECTRON_') && k !== 'UNMETERED_HOME') env[k] = v;
  }
  return {
    ...env,
    PATH: `${path.dirname(NODE24)}${path.delimiter}${process.env.PATH ?? ''}`,
    HOME: dirs.home,
    XDG_CONFIG_HOME: path.join(dirs.root, 'xdg-config'),
    XDG_DATA_HOME: path.join(dirs.root, 'xdg-data'),
    XDG_CACHE_HOME: path.join(dirs.root, 'xdg-cache'),
    TMPDIR: dirs.tmp,
    UNMETERED_HOME: dirs.unmeteredHome,
    ...extra,
  };
}

/** PIDs of every descendant of `pid`, read from /proc (code-server's helpers outlive a plain kill of the parent). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name may contain spaces and parentheses: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs in the page. A string, not a function: tsx's keepNames would wrap inner functions in a
 * `__name` helper that does not exist in the browser.
 */
const READ_STATUS_BAR = `(() => {
  const css = getComputedStyle(document.querySelector('.monaco-workbench') ?? document.body);
  const themeColors = {
    warning: css.getPropertyValue('--vscode-statusBarItem-warningBackground').trim(),
    error: css.getPropertyValue('--vscode-statusBarItem-errorBackground').trim(),
  };
  // VS Code renders $(pulse) as <span class="codicon codicon-pulse">: turn it back into the source form.
  const textOf = (n) => {
    if (n.nodeType === Node.TEXT_NODE) return n.textContent ?? '';
    if (!(n instanceof HTMLElement)) return '';
    const icon = n.classList.contains('codicon') && [...n.classList].find((c) => c.startsWith('codicon-') && c !== 'codicon-modifier-spin');
    return (icon ? '$(' + icon.slice(8) + ')' : '') + [...n.childNodes].map(textOf).join('');
  };
  return [...document.querySelectorAll('.part.statusbar .statusbar-item')].map((el) => {
    const label = el.querySelector('.statusbar-item-label') ?? el;
    return {
      text: textOf(label).replace(/\\s+/g, ' ').trim(),
      ariaLabel: label.getAttribute('aria-label') ?? el.getAttribute('aria-label') ?? '',
      className: el.className,
      background: getComputedStyle(el).backgroundColor,
      themeColors,
      width: Math.round(el.getBoundingClientRect().width),
    };
  });
})()`;

export class VSCodeSession {
  private closed = false;

  private constructor(
    readonly dirs: Dirs,
    readonly url: string,
    readonly server: ChildProcess,
    readonly browser: Browser,
    readonly page: Page,
    private readonly output: string[],
  ) {}

  /**
   * Installs the extension, starts code-server on a free loopback port with the workspace, opens it
   * in headless Chromium and waits for the workbench. close() undoes all of it.
   */
  static async start(opts: StartOptions = {}): Promise<VSCodeSession> {
    const missing = missingTools();
    if (missing.length) throw new Error(`end-to-end tools missing: ${missing.join(', ')}. Run: bash test/e2e/setup.sh`);
    const vsix = opts.vsix === undefined ? await packageExtension() : opts.vsix;

    const root = await mkdtemp(path.join(os.tmpdir(), 'unmetered-e2e-'));
    const dirs: Dirs = {
      root,
      home: path.join(root, 'home'),
      userData: path.join(root, 'user-data'),
      extensions: path.join(root, 'extensions'),
      workspace: path.join(root, 'workspace'),
      unmeteredHome: path.join(root, 'unmetered-home'),
      tmp: path.join(root, 'tmp'),
    };
    for (const d of [dirs.home, path.join(dirs.userData, 'User'), dirs.extensions, dirs.workspace, dirs.unmeteredHome, dirs.tmp])
      await mkdir(d, { recursive: true });
    for (const [rel, content] of Object.entries(opts.workspaceFiles ?? { 'README.md': '# e2e workspace\n' })) {
      await mkdir(path.dirname(path.join(dirs.workspace, rel)), { recursive: true });
      await writeFile(path.join(dirs.workspace, rel), content);
    }
    await writeFile(
      path.join(dirs.userData, 'User', 'settings.json'),
      JSON.stringify(
        {
          // Keep the first paint quiet and predictable: no welcome page, no telemetry prompt, no updates.
          // Written as VS Code keeps them: it migrates older forms (extensions.autoUpdate false, with
          // extensions.autoCheckUpdates and workbench.tips.enabled) into this by rewriting settings.json
          // after start-up, at a moment a loaded machine makes late (a telemetry test saw it land mid-test).
          'workbench.startupEditor': 'none',
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          'telemetry.telemetryLevel': 'off',
          'extensions.autoUpdate': 'off',
          'update.mode': 'none',
          ...opts.settings,
        },
        null,
        2,
      ),
    );
    await opts.prepare?.(dirs);
    const env = serverEnv(dirs, opts.env);

    let server: ChildProcess | undefined;
    let browser: Browser | undefined;
    try {
      if (vsix) {
        const t0 = Date.now();
        const r = spawnSync(
          NODE24,
          [CODE_SERVER, '--install-extension', vsix, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData],
          {
            env,
            encoding: 'utf8',
            timeout: 120_000,
          },
        );
        if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
        log(`installed ${path.basename(vsix)} in ${Date.now() - t0} ms`);
      }

      const port = await freePort();
      const config = path.join(root, 'code-server.yaml');
      await writeFile(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
      const output: string[] = [];
      const t0 = Date.now();
      server = spawn(
        NODE24,
        [
          CODE_SERVER,
          '--config',
          config,
          '--user-data-dir',
          dirs.userData,
          '--extensions-dir',
          dirs.extensions,
          '--disable-telemetry',
          '--disable-update-check',
          '--disable-workspace-trust',
          dirs.workspace,
        ],
        // Its own process group, so close() can signal every helper it forks.
        { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      for (const s of [server.stdout!, server.stderr!]) s.on('data', (b: Buffer) => output.push(b.toString()));
      const url = `http://127.0.0.1:${port}`;
      await waitForHealth(url, server, output);
      log(`code-server ready on ${url} in ${Date.now() - t0} ms`);

      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
      const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 850 } });
      const session = new VSCodeSession(dirs, url, server, browser, page, output);
      const t1 = Date.now();
      // The page's own load, not only the workbench after it, can take over 30 s on a loaded 2-core machine.
      await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}`, { timeout: UI_TIMEOUT_MS });
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: UI_TIMEOUT_MS });
      log(`workbench shown in ${Date.now() - t1} ms`);
      return session;
    } catch (err) {
      await browser?.close().catch(() => {});
      if (server?.pid) await stopProcessTree(server.pid);
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
      throw err;
    }
  }

  /** What code-server printed so far (for failure messages). */
  serverOutput(): string {
    return this.output.join('');
  }

  /** Waits until a status bar item whose text or aria label matches is shown, and returns what it shows. */
  async waitForStatusBarItem(match: string | RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<StatusBarItem> {
    const deadline = Date.now() + timeoutMs;
    let seen: StatusBarItem[] = [];
    while (Date.now() < deadline) {
      seen = await this.statusBarItems();
      const hit = seen.find((i) =>
        typeof match === 'string' ? i.text.includes(match) || i.ariaLabel.includes(match) : match.test(i.text) || match.test(i.ariaLabel),
      );
      if (hit) return hit;
      await this.page.waitForTimeout(250);
    }
    throw new Error(
      `no status bar item matched ${match} within ${timeoutMs} ms; shown: ${JSON.stringify(seen.map((i) => i.text || i.ariaLabel))}`,
    );
  }

  /** Every status bar item now shown, with text (codicons as `$(name)`), aria label, classes and colours. */
  async statusBarItems(): Promise<StatusBarItem[]> {
    return this.page.evaluate(READ_STATUS_BAR) as Promise<StatusBarItem[]>;
  }

  /** Hovers the status bar item whose label contains `text` and returns the hover's text once it shows. */
  async hoverStatusBarItem(text: string, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
    const item = this.page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
    await item.hover({ timeout: timeoutMs });
    const hover = this.page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first();
    await hover.waitFor({ timeout: timeoutMs });
    // Markdown renders after the box appears: wait until its text stops changing.
    let last = '';
    for (let i = 0; i < 20; i++) {
      const now = await hover.innerText();
      if (now && now === last) return now;
      last = now;
      await this.page.waitForTimeout(150);
    }
    return last;
  }

  /** Saves a PNG of the whole window to .e2e/screenshots/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    log(`screenshot ${path.relative(ROOT, file)}`);
    return file;
  }

  /** Runs a command by its title through the command palette (F1), as a person would. */
  async runCommand(title: string): Promise<void> {
    const page = this.page;
    // A click first, so the keys reach the workbench. Not on a webview (the dashboard): its focus arrives a moment
    // later through the webview's own messages and closes the palette, or the next quick input, under the test. With
    // a webview in the editor area, the click goes to the side bar's empty space instead (seen in CI: a webview that
    // kept the focus closed export's first step); with no side bar either, F1 goes to the webview, which passes it on.
    const onWebview = await page.evaluate('!!document.elementFromPoint(700, 300)?.closest("iframe, .webview")').catch(() => false);
    const sideBar = page.locator('.part.sidebar');
    if (!onWebview)
      await page
        .locator('.monaco-workbench')
        .click({ position: { x: 700, y: 300 } })
        .catch(() => {});
    else if (await sideBar.isVisible().catch(() => false)) {
      const box = await sideBar.boundingBox();
      if (box) await page.mouse.click(box.x + box.width / 2, box.y + box.height * 0.6);
    }
    const input = page.locator('.quick-input-widget .quick-input-box input');
    // Twice at most: a menu still closing (a chat picker's) can leave the palette inert, then hide it; Escape
    // clears what is open, as a person would before trying again.
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: UI_TIMEOUT_MS });
        await input.fill(`>${title}`, { timeout: 10_000 });
        break;
      } catch (err) {
        if (attempt === 2) throw err;
        log(`runCommand ${title}: the palette was not ready (${(err as Error).message.split('\n')[0]}); Escape, then again`);
        await page.keyboard.press('Escape');
        await page.keyboard.press('Escape');
      }
    }
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    await row.click();
  }

  /**
   * Answers the input box an extension opened (showInputBox): waits until it is shown — not the
   * command palette it may replace — and, when given, its title or prompt contains `expect`; then
   * types `value` and presses Enter.
   */
  async answerInputBox(value: string, expect?: string, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shown = await widget.isVisible();
      const text = shown ? await widget.innerText() : '';
      const current = shown ? await input.inputValue() : '';
      if (shown && !current.startsWith('>') && (!expect || text.includes(expect))) break;
      if (Date.now() > deadline)
        throw new Error(
          `no input box${expect ? ` with "${expect}"` : ''} within ${timeoutMs} ms; quick input shows ${JSON.stringify(text)}`,
        );
      await this.page.waitForTimeout(100);
    }
    // Bounded well below the suite's limits: an input box something else closed (a toast taking focus) fails
    // here in seconds, and the caller may open it again.
    await input.fill(value, { timeout: 5_000 });
    await input.press('Enter', { timeout: 5_000 });
  }

  /**
   * The user settings as VS Code has them on disk now (it writes plain JSON; comments are stripped if any).
   * VS Code rewrites the file in place (truncate, then write), so a read can land between the two and see an
   * empty or half-written file: such a read is retried for up to 3 s before it counts as a failure.
   */
  async readUserSettings(): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 3_000;
    for (;;) {
      const raw = await readFile(path.join(this.dirs.userData, 'User', 'settings.json'), 'utf8');
      try {
        return JSON.parse(stripJsonComments(raw));
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`user settings.json is not JSON (${(err as Error).message}):\n${raw}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Stops Chromium and code-server (with every helper it forked) and removes the temp dirs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close().catch(() => {});
    if (this.server.pid) await stopProcessTree(this.server.pid);
    await rm(this.dirs.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Starts a session; the same as VSCodeSession.start. */
export const startVSCode = (opts?: StartOptions) => VSCodeSession.start(opts);

async function waitForHealth(url: string, server: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode} before it was ready:\n${output.join('')}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within 60 s:\n${output.join('')}`);
}

/** SIGTERM to the process group, then SIGKILL to whatever of the tree is left (e.g. a fileWatcher child). */
async function stopProcessTree(pid: number): Promise<void> {
  const tree = [pid, ...descendants(pid)];
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // group already gone
  }
  for (const p of tree)
    if (alive(p))
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        /* gone */
      }
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && tree.some(alive)) await new Promise((r) => setTimeout(r, 100));
  for (const p of tree)
    if (alive(p))
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
}

function stripJsonComments(s: string): string {
  // Skips strings, drops // and /* */ comments and trailing commas.
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      const start = i;
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      out += s.slice(start, i + 1);
    } else if (c === '/' && s[i + 1] === '/') {
      while (i < s.length && s[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && s[i + 1] === '*') {
      i = s.indexOf('*/', i + 2) + 1 || s.length;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}
