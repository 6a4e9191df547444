/**
 * What a person sees, in three colour themes: the status bar item, its tooltip, the menu behind it, the
 * dashboard at three widths, the export flow, the walkthrough and the chat model picker, each screenshotted
 * (.e2e/screenshots/look-*.png) and checked for what people rely on: nothing clipped (every column of the
 * costliest-interactions table in view, Cost above all; no menu row cut short), text at a contrast of at
 * least 4.5:1 measured from the screenshot's pixels, a status bar item of modest width in each of its
 * states, and no error notification. The ledger holds literal costs, so every figure checked is worked out
 * by hand in the comments, not by the code under test.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-vendors';
import { decodePng, textContrast } from '../helpers/pixels';
import { freePort, startVSCode, type VSCodeSession } from './harness';

const HOUR = 3_600_000;
const THEMES = ['Default Light Modern', 'Default Dark Modern', 'Default High Contrast'] as const;
/** Window widths: the dashboard beside the Explorer gets roughly 400, 750 and 1,150 px of them. */
const WIDTHS = [760, 1100, 1500];
/**
 * The status bar item's width in CSS px. Other items in VS Code's bar are 40–150 px wide ("Ln 12, Col 5",
 * "{} TypeScript", a branch name); the issue saw ours at 270 px, the widest of all. Everyday (today's
 * spend and the month against the budget) it is no wider than those, 160 px; with every part shown
 * (something saved) and four-digit figures, within 240 px.
 */
const EVERYDAY_MAX_PX = 160;
const BUSIEST_MAX_PX = 240;

function zoneNearNoon(now: number): string {
  const offset = 12 - new Date(now).getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

const now = Date.now();
const timeZone = zoneNearNoon(now);
let seq = 0;
const rec = (hoursAgo: number, agent: string, model: string, usd: number, savedUsd?: number): Interaction => ({
  id: `${agent}:look:${++seq}`,
  at: new Date(now - hoursAgo * HOUR).toISOString(),
  agent,
  source: 'log',
  project: 'webshop',
  model,
  route: savedUsd === undefined ? 'cloud' : 'local',
  replaces: savedUsd === undefined ? null : 'claude-sonnet-4-5',
  tokens: tokens({ input: 120_000, output: 9_000, cacheRead: 800_000, cacheWrite5m: 30_000 }),
  costNanos: Math.round(usd * 1e9),
  avoidedNanos: savedUsd === undefined ? null : Math.round(savedUsd * 1e9),
  priceSource: 'look literal',
  estimated: false,
});
// It is about noon in `timeZone`, so 2 and 3 hours ago are today, and 7 days and 3 hours ago is the same
// weekday of last week, in the last complete week whatever day the week starts on.
// Today: $4.50 + $2.25 = $6.75 metered in 2 interactions; long model names, as real ones are.
// Last week: $1.20 in 1 interaction. No other week holds anything.
const records = [
  rec(3, 'claude-code', 'claude-sonnet-4-5-20250929', 4.5),
  rec(2, 'codex', 'gpt-5-codex-high-reasoning', 2.25),
  rec(7 * 24 + 3, 'claude-code', 'claude-sonnet-4-5-20250929', 1.2),
];
/** 4,683,087,332 bytes / 1e9 = 4.68 → "4.7 GB" (decimal units, as Ollama and disk tools show them). */
const LOCAL_MODEL = { name: 'qwen2.5-coder:7b', size: 4_683_087_332, parameterSize: '7.6B', quantization: 'Q4_K_M' };

let vs: VSCodeSession;
let ollama: FakeOllama;
let gatewayPort: number;
const widths: Record<string, number> = {};

before(async () => {
  gatewayPort = await freePort();
  ollama = await startFakeOllama({
    // The local route offers only models that call tools with a window of at least 64k (README, honest local).
    models: [{ ...LOCAL_MODEL, family: 'qwen2', contextLength: 131_072, capabilities: ['completion', 'tools'] }],
  });
  vs = await startVSCode({
    settings: {
      'unmetered.timezone': timeZone,
      'unmetered.monthlyBudget': 500,
      'workbench.colorTheme': THEMES[0],
      'unmetered.gateway.port': gatewayPort,
      'unmetered.ollama.host': ollama.url,
      'unmetered.export.developer': 'look',
      'unmetered.export.formats': ['json', 'html'],
    },
    prepare: async (dirs) => {
      const ledger = await openLedger({ dir: dirs.unmeteredHome });
      await ledger.append(records);
      await ledger.close();
    },
    viewport: { width: WIDTHS[2], height: 900 },
  });
});
after(async () => {
  await vs?.close();
  await ollama?.close();
  if (Object.keys(widths).length) process.stderr.write(`[e2e] status bar item widths (px): ${JSON.stringify(widths)}\n`);
});

/** Picks a colour theme as a person does: Preferences: Color Theme, type its name, Enter. */
async function setTheme(theme: string): Promise<void> {
  const want = theme.includes('Light') ? 'vs' : theme.includes('High Contrast') ? 'hc-black' : 'vs-dark';
  if (await vs.page.locator(`.monaco-workbench.${want}`).count()) return;
  await vs.runCommand('Preferences: Color Theme');
  const input = vs.page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(theme.replace('Default ', ''));
  await vs.page
    .locator('.quick-input-widget .monaco-list-row', { hasText: theme.replace('Default ', '') })
    .first()
    .waitFor({ timeout: 20_000 });
  await vs.page.keyboard.press('Enter');
  await vs.page.locator(`.monaco-workbench.${want}`).waitFor({ timeout: 20_000 });
  await vs.page.waitForTimeout(500); // the theme's colours reach every part, webviews included
}

async function dashboardFrame(timeoutMs = 60_000): Promise<Frame | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of vs.page.frames())
      if (
        await f
          .locator('body[data-ready="true"] #cards .card')
          .count()
          .catch(() => 0)
      )
        return f;
    await vs.page.waitForTimeout(250);
  }
  return undefined;
}

/** The dashboard, opened from the command palette unless it is open already. */
async function dashboard(): Promise<Frame> {
  const open = await dashboardFrame(1_000);
  if (open) return open;
  await vs.runCommand('Unmetered: Open Dashboard');
  const f = await dashboardFrame();
  if (!f) throw new Error('the dashboard did not draw within 60 s');
  return f;
}

/**
 * The contrast of an element's text, from a screenshot of the first such element shown (inside the webview too).
 * The dashboard redraws its cards, and the status bar item its tooltip, when new figures arrive, which can detach
 * the element being shot or hide it for a moment: then it is found again and shot again, at most three times.
 * A shot of one colour alone holds no text yet (a tooltip caught as it fades in read "#ffffff on #ffffff" once in
 * CI): it is taken again after 300 ms, at most three times; text that stays the background's colour still fails.
 */
async function contrastOf(where: Frame | Page, selector: string, hasText?: string) {
  let redraws = 0;
  let blanks = 0;
  for (;;) {
    try {
      const png = await where
        .locator(selector, hasText ? { hasText } : {})
        .filter({ visible: true })
        .first()
        .screenshot({ animations: 'disabled', timeout: 30_000 });
      const c = textContrast(decodePng(png));
      if (c.text !== c.background || ++blanks > 3) return c;
      process.stderr.write(`[e2e] ${selector} was shot before its text was painted (${c.background} alone): shot again\n`);
      await where.waitForTimeout(300);
    } catch (err) {
      if (++redraws === 3 || !/not attached|detached|not visible/i.test((err as Error).message)) throw err;
      process.stderr.write(`[e2e] ${selector} was redrawn while it was shot: shot again\n`);
    }
  }
}

async function assertReadable(where: Frame | Page, what: string, selector: string, hasText?: string): Promise<void> {
  const c = await contrastOf(where, selector, hasText);
  assert.ok(c.ratio >= 4.5, `${what}: ${c.text} on ${c.background} is ${c.ratio}:1`);
}

async function errorNotifications(): Promise<string[]> {
  return vs.page.evaluate(
    `[...document.querySelectorAll('.notifications-toasts .notification-list-item')].filter((e) =>` +
      ` e.querySelector('.codicon-error')).map((e) => (e.textContent || '').trim())`,
  ) as Promise<string[]>;
}

async function notifications(): Promise<string[]> {
  return vs.page.evaluate(
    `[...document.querySelectorAll('.notifications-toasts .notification-list-item-message')].map((e) => e.textContent || '')`,
  ) as Promise<string[]>;
}

/**
 * Sets the monthly budget as a person does, through the command's input box. A budget notice landing while the
 * box is open can take focus and close it (the notices' timing is the budgets' own, not what this suite checks):
 * then the notices are cleared and the box opened again, at most three times.
 */
async function setMonthlyBudget(value: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await vs.runCommand('Unmetered: Set Monthly Budget');
    try {
      await vs.answerInputBox(value, 'Monthly Budget');
      return;
    } catch (err) {
      if (attempt === 3) throw err;
      await vs.runCommand('Notifications: Clear All Notifications');
    }
  }
}

/**
 * Lets a budget notice that spend just triggered arrive, then clears it: a toast that lands while an input box
 * is open takes it away. Waits at most 10 s (there may be none, e.g. when the spend falls in another month).
 */
/**
 * Opens the status bar item's tooltip and runs `look` on it. A repaint of the item closes an open tooltip; the
 * item is repainted only when its figures change (statusbar.test.ts checks that), but a late figure can still land
 * (its timing is the meter's own, not what this suite checks): when `look` fails and the tooltip is no longer
 * shown, it is opened again, at most three times. A failure with the tooltip still shown is a real one.
 */
async function onTooltip(itemText: string, look: (tooltip: string) => Promise<void>): Promise<void> {
  const hover = vs.page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first();
  for (let attempt = 1; ; attempt++) {
    // A webview under the pointer can keep the hover from opening: start from the status bar itself.
    await vs.page.mouse.move(5, 830);
    await vs.page.waitForTimeout(300);
    const tooltip = await vs.hoverStatusBarItem(itemText).catch(async () => {
      await vs.page.mouse.move(5, 5);
      return vs.hoverStatusBarItem(itemText);
    });
    try {
      return await look(tooltip);
    } catch (err) {
      if (attempt === 3 || (await hover.isVisible())) throw err;
      process.stderr.write(`[e2e] the tooltip closed while it was looked at (${(err as Error).message.split('\n')[0]}): opened again\n`);
    }
  }
}

async function settleBudgetNotice(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !(await notifications()).some((n) => n.includes('budget'))) await vs.page.waitForTimeout(250);
  await vs.runCommand('Notifications: Clear All Notifications');
}

/** Texts of the visible elements under `selector` that are cut short (an ellipsis or a scroll needed). */
async function clipped(selector: string): Promise<string[]> {
  return vs.page.evaluate(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].filter((e) => e.offsetParent !== null &&` +
      ` e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent)`,
  ) as Promise<string[]>;
}

/** A quick pick row's label and description, without its checkbox (VS Code's own control, not text). */
const QUICK_PICK_LABEL = '.quick-input-widget .monaco-list-row .monaco-icon-label';

/** Visible rows of the quick input (the menu, the export steps), as their text. */
async function quickPickRows(): Promise<string[]> {
  const rows = vs.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const out: string[] = [];
  for (let i = 0; i < (await rows.count()); i++)
    if (await rows.nth(i).isVisible()) out.push((await rows.nth(i).innerText()).replace(/\s+/g, ' '));
  return out;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as T;
    await vs.page.waitForTimeout(250);
  }
  // What was on screen when it gave up, for the reader of a CI log.
  const shot = await vs.screenshot(`look-timeout-${what.replace(/\W+/g, '-')}`).catch(() => 'no screenshot');
  throw new Error(
    `timed out waiting for ${what}; last seen: ${JSON.stringify(last)}; quick input rows: ${JSON.stringify(
      await quickPickRows().catch(() => []),
    )}; screen: ${shot}`,
  );
}

/** Waits for the quick input whose title contains `title` (a step of a multi-step flow). */
async function quickInputTitled(title: string): Promise<void> {
  await waitFor(`the quick input "${title}"`, async () =>
    (
      (await vs.page
        .locator('.quick-input-widget .quick-input-title')
        .innerText()
        .catch(() => '')) ?? ''
    ).includes(title),
  );
}

async function meterItem(match: string | RegExp) {
  const item = await vs.waitForStatusBarItem(match);
  return {
    item,
    locator: vs.page.locator('.part.statusbar .statusbar-item', { hasText: item.text.replace(/^\$\([\w-]+\)\s*/, '') }).first(),
  };
}

describe('what a person sees, in light, dark and high-contrast themes', { timeout: 900_000 }, () => {
  it('with nothing routed and the cloud route, nothing listens on the gateway port and no "port forwarded" notice shows', async () => {
    await vs.waitForStatusBarItem('$6.75 spent today');
    // The extension has started (the figures are shown); it would have opened the port by now if it meant to.
    const health = await fetch(`http://127.0.0.1:${gatewayPort}/unmetered/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.equal(health, 'refused', 'the gateway does not listen while nothing needs it');
    assert.ok(!(await notifications()).some((n) => /port .* is available/i.test(n)), JSON.stringify(await notifications()));
  });

  for (const theme of THEMES) {
    const tag = theme.replace('Default ', '').replace(/\s+/g, '-').toLowerCase();

    it(`${theme}: the status bar item and its tooltip`, async () => {
      await setTheme(theme);
      await vs.page.setViewportSize({ width: WIDTHS[2], height: 900 });
      // $6.75 today; nothing local, so no "saved"; the projection against the $500 budget
      const { item, locator } = await meterItem(/^\$\(cloud\) \$6\.75 · \$\d+\/\$500$/);
      assert.ok(!item.text.includes('saved'), `nothing saved today, so no "saved" part: ${item.text}`);
      widths[`everyday, ${tag}`] = item.width;
      assert.ok(item.width <= EVERYDAY_MAX_PX, `the item is ${item.width} px wide: ${item.text}`);
      assert.match(item.ariaLabel, /\$6\.75 spent today, .* against a budget of \$500/);
      await assertReadable(vs.page, `the status bar item in ${theme}`, '.part.statusbar .statusbar-item', '$6.75 · ');
      await vs.screenshot(`look-${tag}-statusbar`);
      const hover = vs.page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first();
      await onTooltip('$6.75 · ', async (tooltip) => {
        await vs.screenshot(`look-${tag}-tooltip`);
        // Today $4.50 + $2.25 = $6.75; the month holds last week's $1.20 too when last week's day is in this month.
        assert.match(tooltip, /Metered spend\s+\$6\.75\s+\$(6\.75|7\.95)/);
        assert.match(tooltip, /claude-code\s+\$4\.50/);
        assert.match(tooltip, /codex\s+\$2\.25/);
        const box = await hover.boundingBox({ timeout: 5_000 });
        assert.ok(box && box.height <= 600, `the tooltip fits on a laptop screen: ${box?.height} px high`);
        assert.deepEqual(
          await clipped('.workbench-hover .hover-contents, .monaco-hover .hover-contents'),
          [],
          'nothing in the tooltip is cut off',
        );
        await assertReadable(vs.page, `the tooltip in ${theme}`, '.workbench-hover td, .monaco-hover td', '$4.50');
      });
      await vs.page.mouse.move(10, 10);
      await vs.page.waitForTimeout(300);
      await locator.click();
      // The menu: the local model with its size in decimal units, nothing cut short.
      const rows = await waitFor('the menu with the cloud route and the local model', async () => {
        const r = await quickPickRows();
        return r.some((x) => x.includes(`Local: ${LOCAL_MODEL.name}`)) && r.some((x) => x.includes('Cloud (metered)')) ? r : undefined;
      });
      await vs.screenshot(`look-${tag}-menu`);
      assert.ok(
        rows.some((r) => r.includes(`Local: ${LOCAL_MODEL.name}`) && r.includes('7.6B · Q4_K_M · 4.7 GB')),
        JSON.stringify(rows),
      );
      assert.deepEqual(await clipped('.quick-input-widget .monaco-list-row .monaco-icon-label-container'), [], 'menu rows cut short');
      await assertReadable(vs.page, `a menu row in ${theme}`, QUICK_PICK_LABEL, `Local: ${LOCAL_MODEL.name}`);
      await vs.page.keyboard.press('Escape');
      assert.deepEqual(await errorNotifications(), []);
      // The pointer is still on the item: move away so its tooltip does not cover what comes next.
      await vs.page.mouse.move(700, 400);
      await hover.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => vs.page.keyboard.press('Escape'));
    });

    it(`${theme}: the dashboard at three widths keeps every column in view and its text readable`, async () => {
      await setTheme(theme);
      for (const width of WIDTHS) {
        await vs.page.setViewportSize({ width, height: 900 });
        const f = await dashboard();
        await f.waitForTimeout(400); // the page redraws its charts at the new width
        const pageWidth = (await f.evaluate('document.documentElement.clientWidth')) as number;
        await vs.screenshot(`look-${tag}-dashboard-${pageWidth}px`);
        // Today and this week: $4.50 + $2.25 = $6.75 (last week's $1.20 is in neither).
        assert.deepEqual(await f.locator('.card[data-period="today"] .v').innerText(), '$6.75');
        assert.deepEqual(await f.locator('.card[data-period="week"] .v').innerText(), '$6.75');
        // Every header cell that is shown lies inside the table's box: nothing clipped, no scroll needed.
        const clip = (await f.evaluate(
          `(() => {
          const wrap = document.querySelector('#recent');
          const right = wrap.getBoundingClientRect().right;
          const cells = [...document.querySelectorAll('[data-testid="recent"] th')].filter((th) => th.offsetParent !== null);
          return { scroll: wrap.scrollWidth - wrap.clientWidth, shown: cells.map((th) => th.textContent), out:` +
            ` cells.filter((th) => th.getBoundingClientRect().right > right + 1).map((th) => th.textContent) };
        })()`,
        )) as { scroll: number; shown: string[]; out: string[] };
        assert.ok(clip.shown.includes('Cost'), `Cost is shown at ${pageWidth} px: ${clip.shown.join(', ')}`);
        assert.deepEqual(clip.out, [], `columns past the edge at ${pageWidth} px`);
        assert.ok(clip.scroll <= 1, `the table needs no horizontal scroll at ${pageWidth} px (${clip.scroll} px)`);
        for (const sel of ['.card .v', '.card .k', '#budget', '#legend li', '[data-testid="recent"] th.num', '#method'])
          await assertReadable(f, `${sel} at ${pageWidth} px in ${theme}`, sel);
      }
      assert.deepEqual(await errorNotifications(), []);
    });

    it(`${theme}: the export flow offers only weeks with spend, writes the files and says where`, async () => {
      await setTheme(theme);
      await vs.page.setViewportSize({ width: WIDTHS[1], height: 900 });
      await vs.runCommand('Unmetered: Export Weekly Summary…');
      await quickInputTitled('(1/3)');
      const weeks = await waitFor('the weeks', async () => {
        const r = await quickPickRows();
        return r.length >= 2 ? r : undefined;
      });
      await vs.screenshot(`look-${tag}-export-1-week`);
      // Only the two weeks with interactions; the ten empty ones before them are not offered.
      assert.equal(weeks.length, 2, JSON.stringify(weeks));
      assert.match(weeks.find((w) => w.includes('in progress')) ?? '', /\$6\.75 · 2 interactions/);
      assert.match(weeks.find((w) => w.includes('last week')) ?? '', /\$1\.20 · 1 interaction\b/);
      assert.deepEqual(await clipped('.quick-input-widget .monaco-list-row .monaco-icon-label-container'), [], 'week rows cut short');
      await assertReadable(vs.page, `a week row in ${theme}`, QUICK_PICK_LABEL, 'in progress');
      const weekRow = vs.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'in progress' }).first();
      const week = /\d{4}-W\d{2}/.exec(await weekRow.innerText())?.[0];
      assert.ok(week, 'the row names its ISO week');
      // Chosen with the keyboard: a click is pressed on step 1 and released on what lies under it once step 1 has
      // closed, which can be the dashboard beside a shorter step 2; the webview takes focus and step 2 closes.
      await vs.page.locator('.quick-input-widget .quick-input-box input').fill(week);
      await waitFor(`the week ${week} alone`, async () => {
        const r = await quickPickRows();
        return r.length === 1 && r[0]!.includes(week);
      });
      await vs.page.keyboard.press('Enter');
      await quickInputTitled('(2/3)');
      await waitFor('the formats', async () => (await quickPickRows()).some((r) => r.includes('HTML')));
      await vs.screenshot(`look-${tag}-export-2-formats`);
      await assertReadable(vs.page, `a format row in ${theme}`, QUICK_PICK_LABEL, 'Markdown');
      await vs.page.keyboard.press('Enter'); // JSON and HTML, ticked from unmetered.export.formats
      await quickInputTitled('(3/3)');
      await vs.screenshot(`look-${tag}-export-3-folder`);
      await vs.page.locator('.quick-input-widget .monaco-button', { hasText: 'Export here' }).first().click();
      const done = await waitFor('the "exported" notification', async () => (await notifications()).find((n) => n.includes('exported')));
      await vs.screenshot(`look-${tag}-export-4-done`);
      // It names the folder and both files; nothing is shown as failed.
      const folder = vs.dirs.workspace;
      assert.ok(done.includes(folder), done);
      assert.ok(done.includes(`look-${week}.json`) && done.includes(`look-${week}.html`), done);
      assert.ok(existsSync(path.join(folder, `look-${week}.json`)) && existsSync(path.join(folder, `look-${week}.html`)));
      await assertReadable(
        vs.page,
        `the export notification in ${theme}`,
        '.notifications-toasts .notification-list-item-message',
        'exported',
      );
      assert.deepEqual(await errorNotifications(), []);
      await vs.runCommand('Notifications: Clear All Notifications');
    });
  }

  for (const [i, theme] of THEMES.entries()) {
    const tag = theme.replace('Default ', '').replace(/\s+/g, '-').toLowerCase();

    it(`${theme}: the walkthrough, its budget step ticked (a budget is set), its media in view`, async () => {
      await setTheme(theme);
      // VS Code hides a step's media while the walkthrough is 950 px wide or less (gettingStarted.ts,
      // "width-semi-constrained"); the descriptions carry the steps' links on their own. Beside the Explorer
      // in a 1,500 px window it is about 1,150 px wide: the media show.
      await vs.page.setViewportSize({ width: WIDTHS[2], height: 900 });
      await vs.runCommand('Welcome: Open Walkthrough...');
      const row = vs.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Get started with Unmetered' }).first();
      await row.waitFor({ timeout: 20_000 });
      await row.click();
      const budgetStep = vs.page.locator('.getting-started-step', { hasText: 'Set a monthly budget' }).first();
      await budgetStep.waitFor({ timeout: 20_000 });
      // No command was run and no setting changed in this window: the step is ticked because a budget is set.
      await vs.page.locator('[data-done-step-id$="#budget"][aria-checked="true"]').first().waitFor({ timeout: 30_000 });
      await budgetStep.click();
      const media = vs.page.locator('.getting-started-media').filter({ visible: true }).first();
      await media.waitFor({ timeout: 20_000 });
      const mediaBox = await media.boundingBox();
      assert.ok(mediaBox && mediaBox.width >= 200 && mediaBox.height >= 100, `the step's media is in view: ${JSON.stringify(mediaBox)}`);
      await vs.page.waitForTimeout(500);
      await vs.screenshot(`look-${tag}-walkthrough`);
      await assertReadable(vs.page, `a step title in ${theme}`, '.getting-started-step .step-title', 'See which agents were detected');
      if (i === 0) {
        await vs.page.locator('.getting-started-step', { hasText: 'See which agents were detected' }).first().click();
        await vs.page.locator('a, .button-link', { hasText: 'Show Agent Logs Read' }).first().click();
        const rows = vs.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
        await rows.filter({ hasText: 'Claude Code' }).first().waitFor({ timeout: 15_000 });
        await vs.screenshot('look-walkthrough-agents');
        assert.ok((await rows.count()) >= 5, 'every agent Unmetered reads is listed');
        await vs.page.keyboard.press('Escape');
      }
      assert.deepEqual(await errorNotifications(), []);
      await vs.runCommand('View: Close Editor');
    });

    it(`${theme}: the chat model picker lists the local model, readable, and no Auto with nothing to follow`, async () => {
      await setTheme(theme);
      await vs.page.setViewportSize({ width: WIDTHS[1], height: 900 });
      const pickerButton = vs.page.locator('.interactive-input-part .model-picker-name').first();
      // From the palette, which reaches the workbench from a webview too: Ctrl+Alt+I pressed while the dashboard's
      // webview held the focus was lost once in CI (no chat view, the wait below timed out).
      if (!(await pickerButton.isVisible().catch(() => false))) await vs.runCommand('Chat: Open Chat');
      // The picker reads "Models" until VS Code has resolved some vendor's models.
      await waitFor(
        'a model in the chat model picker',
        async () => {
          const t = (await pickerButton.textContent().catch(() => null))?.trim();
          return t && t !== 'Models' ? t : undefined;
        },
        60_000,
      );
      await pickerButton.click();
      const visibleRows = () =>
        vs.page.evaluate(
          `[...document.querySelectorAll('.monaco-list-row')].filter((e) => e.offsetParent !== null).map((e)` +
            ` => e.getAttribute('aria-label') || (e.textContent || '').trim())`,
        ) as Promise<string[]>;
      await waitFor('the picker list', async () => (await visibleRows()).length > 0);
      // Models the picker does not feature are folded under "Other Models".
      const other = vs.page.locator('.monaco-list-row:visible', { hasText: 'Other Models' });
      if (await other.count()) await other.first().click();
      // Its size in decimal units, as the menu shows it: 4,683,087,332 B → 4.7 GB.
      const rows = await waitFor('the local model in the picker', async () => {
        const r = await visibleRows();
        return r.some((x) => x.includes(LOCAL_MODEL.name) && x.includes('7.6B · Q4_K_M · 4.7 GB')) ? r : undefined;
      }).catch(async (err: Error) => {
        await vs.screenshot(`look-${tag}-chat-model-picker-failed`);
        throw err;
      });
      await vs.page.waitForTimeout(300);
      await vs.screenshot(`look-${tag}-chat-model-picker`);
      // The cloud route with no cloud model set up: Auto has nothing to follow, so it is not offered (it would
      // only fail when asked: issue 18's point 4). The rows are one answer of the provider, so the list is whole.
      assert.ok(!rows.some((r) => r.includes('Unmetered: Auto')), JSON.stringify(rows));
      await assertReadable(vs.page, `a picker row in ${theme}`, '.monaco-list-row:visible', LOCAL_MODEL.name);
      await vs.page.keyboard.press('Escape');
      assert.deepEqual(await errorNotifications(), []);
      // The chat view takes width from the editor: hide it before the next walkthrough.
      await vs.runCommand('View: Hide Secondary Side Bar');
    });
  }

  it('the status bar item stays narrow in its busier states: something saved, four-digit figures, over budget, no budget', async () => {
    await setTheme(THEMES[1]);
    await vs.page.setViewportSize({ width: WIDTHS[2], height: 900 });
    const ledger = await openLedger({ dir: vs.dirs.unmeteredHome });
    // A local answer today that saved $1.20.
    await ledger.append([rec(1, 'claude-code', 'qwen2.5-coder:7b', 0, 1.2)]);
    let { item } = await meterItem(/\$6\.75 · \$1\.20 saved · \$\d+\/\$500$/);
    widths['saved, dark'] = item.width;
    assert.ok(item.width <= BUSIEST_MAX_PX, `with savings the item is ${item.width} px wide: ${item.text}`);
    // Then $90.00 more today (today $6.75 + $90.00 = $96.75) and $1,000.00 yesterday: whatever the day of
    // the month, the projection is four digits (at least the $1,000 of yesterday, or of the recent daily
    // rate times the days left; at most $1,000 + $96.75 + ($1,001.20 / 7 days) × 30 days ≈ $5,387).
    await ledger.append([rec(0.5, 'codex', 'gpt-5-codex-high-reasoning', 90), rec(24, 'codex', 'gpt-5-codex-high-reasoning', 1000)]);
    await ledger.close();
    // The budget is set as a person does (the settings file written behind VS Code's back is not reread soon),
    // once the new spend is on the status bar and the notice it triggers ($1,096.75 of $500) has come and gone.
    await meterItem(/\$96\.75 · /);
    await settleBudgetNotice();
    await setMonthlyBudget('1000');
    // Four digits are written in thousands: "$1k" to "$5.4k" against "$1k".
    ({ item } = await meterItem(/\$96\.75 · \$1\.20 saved · \$\d(\.\d)?k\/\$1k$/));
    assert.match(item.ariaLabel, /projected \$\d,\d{3} this month against a budget of \$1,000, over budget/);
    widths['busiest, dark'] = item.width;
    await vs.screenshot('look-statusbar-busiest');
    assert.ok(item.width <= BUSIEST_MAX_PX, `with every part and four-digit figures the item is ${item.width} px wide: ${item.text}`);
    await assertReadable(vs.page, 'the over-budget item', '.part.statusbar .statusbar-item', '$96.75 · ');
    await settleBudgetNotice();
    await setMonthlyBudget(''); // empty: no budget
    // Without a budget the projection is left to the tooltip.
    ({ item } = await meterItem(/\$96\.75 · \$1\.20 saved$/));
    widths['no budget, dark'] = item.width;
    assert.ok(item.width <= BUSIEST_MAX_PX, `with no budget the item is ${item.width} px wide: ${item.text}`);
    assert.deepEqual(await errorNotifications(), []);
    // After every view was opened (the menu, the picker, the export): still nothing needed the gateway.
    const health = await fetch(`http://127.0.0.1:${gatewayPort}/unmetered/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.equal(health, 'refused', 'the gateway does not listen while nothing needs it');
  });
});
