/**
 * What a person sees, in three colour themes: the status bar item, its tooltip, the dashboard at three
 * widths and the walkthrough, each screenshotted (.e2e/screenshots/look-*.png) and checked for what people
 * rely on: every column of the costliest-interactions table in view (Cost above all), text at a contrast of
 * at least 4.5:1 measured from the screenshot's pixels, a status bar item of modest width, and no error
 * notification. The ledger holds literal costs, so the figures are checked against hand-worked values.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { decodePng, textContrast } from '../helpers/pixels';
import { freePort, startVSCode, type VSCodeSession } from './harness';

const HOUR = 3_600_000;
const THEMES = ['Default Light Modern', 'Default Dark Modern', 'Default High Contrast'] as const;
/** Window widths: the dashboard beside the Explorer gets roughly 400, 750 and 1,150 px of them. */
const WIDTHS = [760, 1100, 1500];

function zoneNearNoon(now: number): string {
  const offset = 12 - new Date(now).getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

const now = Date.now();
const timeZone = zoneNearNoon(now);
let seq = 0;
const rec = (hoursAgo: number, agent: string, model: string, usd: number): Interaction => ({
  id: `${agent}:look:${++seq}`,
  at: new Date(now - hoursAgo * HOUR).toISOString(),
  agent,
  source: 'log',
  project: 'webshop',
  model,
  route: 'cloud',
  replaces: null,
  tokens: tokens({ input: 120_000, output: 9_000, cacheRead: 800_000, cacheWrite5m: 30_000 }),
  costNanos: Math.round(usd * 1e9),
  avoidedNanos: null,
  priceSource: 'look literal',
  estimated: false,
});
// Today: $4.50 + $2.25 = $6.75 metered; long model names, as real ones are.
const records = [rec(3, 'claude-code', 'claude-sonnet-4-5-20250929', 4.5), rec(2, 'codex', 'gpt-5-codex-high-reasoning', 2.25)];

let vs: VSCodeSession;
let gatewayPort: number;

before(async () => {
  gatewayPort = await freePort();
  vs = await startVSCode({
    settings: {
      'unmetered.timezone': timeZone,
      'unmetered.monthlyBudget': 500,
      'workbench.colorTheme': THEMES[0],
      'unmetered.gateway.port': gatewayPort,
    },
    prepare: async (dirs) => {
      const ledger = await openLedger({ dir: dirs.unmeteredHome });
      await ledger.append(records);
      await ledger.close();
    },
    viewport: { width: WIDTHS[2], height: 900 },
  });
});
after(() => vs?.close());

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

/** The contrast of an element's text, from a screenshot of the element (inside the webview too). */
async function contrastOf(f: Frame, selector: string): Promise<{ ratio: number; background: string; text: string }> {
  const png = await f.locator(selector).first().screenshot({ animations: 'disabled' });
  return textContrast(decodePng(png));
}

async function errorNotifications(): Promise<string[]> {
  return vs.page.evaluate(
    `[...document.querySelectorAll('.notifications-toasts .notification-list-item')].filter((e) => e.querySelector('.codicon-error')).map((e) => (e.textContent || '').trim())`,
  ) as Promise<string[]>;
}

describe('what a person sees, in light, dark and high-contrast themes', { timeout: 600_000 }, () => {
  it('with nothing routed and the cloud route, nothing listens on the gateway port and no "port forwarded" notice shows', async () => {
    await vs.waitForStatusBarItem('$6.75 today');
    // The extension has started (the figures are shown); it would have opened the port by now if it meant to.
    const health = await fetch(`http://127.0.0.1:${gatewayPort}/unmetered/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.equal(health, 'refused', 'the gateway does not listen while nothing needs it');
    const notices = (await vs.page.evaluate(
      `[...document.querySelectorAll('.notifications-toasts .notification-list-item-message')].map((e) => e.textContent || '')`,
    )) as string[];
    assert.ok(!notices.some((n) => /port .* is available/i.test(n)), JSON.stringify(notices));
  });

  for (const theme of THEMES) {
    const tag = theme.replace('Default ', '').replace(/\s+/g, '-').toLowerCase();

    it(`${theme}: the status bar item and its tooltip`, async () => {
      await setTheme(theme);
      await vs.page.setViewportSize({ width: WIDTHS[2], height: 900 });
      // $6.75 today; no local use, so no "saved"; projection against the $500 budget
      const item = await vs.waitForStatusBarItem(/\$6\.75 today · \$[\d,]+\/\$500 mo$/);
      assert.ok(!item.text.includes('saved'), `nothing saved today, so no "saved" part: ${item.text}`);
      assert.ok(item.width <= 220, `the item is ${item.width} px wide`);
      await vs.screenshot(`look-${tag}-statusbar`);
      // A webview under the pointer can keep the hover from opening: start from the status bar itself.
      await vs.page.mouse.move(5, 830);
      await vs.page.waitForTimeout(300);
      const tooltip = await vs.hoverStatusBarItem('$6.75 today').catch(async () => {
        await vs.page.mouse.move(5, 5);
        return vs.hoverStatusBarItem('$6.75 today');
      });
      await vs.screenshot(`look-${tag}-tooltip`);
      assert.match(tooltip, /Metered spend\s+\$6\.75/);
      const hover = vs.page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first();
      const box = await hover.boundingBox();
      assert.ok(box && box.height <= 600, `the tooltip fits on a laptop screen: ${box?.height} px high`);
      await vs.page.mouse.move(10, 10);
    });

    it(`${theme}: the dashboard at three widths keeps every column in view and its text readable`, async () => {
      for (const width of WIDTHS) {
        await vs.page.setViewportSize({ width, height: 900 });
        const f = await dashboard();
        await f.waitForTimeout(400); // the page redraws its charts at the new width
        const pageWidth = (await f.evaluate('document.documentElement.clientWidth')) as number;
        await vs.screenshot(`look-${tag}-dashboard-${pageWidth}px`);
        assert.deepEqual(await f.locator('.card[data-period="today"] .v').innerText(), '$6.75');
        // Every header cell that is shown lies inside the table's box: nothing clipped, no scroll needed.
        const clip = (await f.evaluate(`(() => {
          const wrap = document.querySelector('#recent');
          const right = wrap.getBoundingClientRect().right;
          const cells = [...document.querySelectorAll('[data-testid="recent"] th')].filter((th) => th.offsetParent !== null);
          return { scroll: wrap.scrollWidth - wrap.clientWidth, shown: cells.map((th) => th.textContent), out: cells.filter((th) => th.getBoundingClientRect().right > right + 1).map((th) => th.textContent) };
        })()`)) as { scroll: number; shown: string[]; out: string[] };
        assert.ok(clip.shown.includes('Cost'), `Cost is shown at ${pageWidth} px: ${clip.shown.join(', ')}`);
        assert.deepEqual(clip.out, [], `columns past the edge at ${pageWidth} px`);
        assert.ok(clip.scroll <= 1, `the table needs no horizontal scroll at ${pageWidth} px (${clip.scroll} px)`);
        for (const sel of ['.card .v', '.card .k', '#budget', '#legend li', '[data-testid="recent"] th.num', '#method']) {
          const c = await contrastOf(f, sel);
          assert.ok(c.ratio >= 4.5, `${sel} at ${pageWidth} px in ${theme}: ${c.text} on ${c.background} is ${c.ratio}:1`);
        }
      }
      assert.deepEqual(await errorNotifications(), []);
    });
  }

  it('the walkthrough shows its steps and its agents step lists the agents read', async () => {
    await vs.page.setViewportSize({ width: WIDTHS[1], height: 900 });
    await vs.runCommand('Welcome: Open Walkthrough...');
    const row = vs.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Get started with Unmetered' }).first();
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    const budgetStep = vs.page.locator('.getting-started-step', { hasText: 'Set a monthly budget' }).first();
    await budgetStep.waitFor({ timeout: 20_000 });
    await vs.screenshot('look-walkthrough');
    await vs.page.locator('.getting-started-step', { hasText: 'See which agents were detected' }).first().click();
    await vs.page.locator('a, .button-link', { hasText: 'Show Agent Logs Read' }).first().click();
    const rows = vs.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'Claude Code' }).first().waitFor({ timeout: 15_000 });
    await vs.screenshot('look-walkthrough-agents');
    assert.ok((await rows.count()) >= 5, 'every agent Unmetered reads is listed');
    await vs.page.keyboard.press('Escape');
    assert.deepEqual(await errorNotifications(), []);
  });
});
