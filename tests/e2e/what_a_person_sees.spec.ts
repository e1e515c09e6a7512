// What a person sees, not what the DOM holds: rows are on screen where the layout puts them
// (document.elementFromPoint at their centre is them), the virtual table reaches its last row,
// the detail panel fits a phone, tables keep values whole, and the page's words and navigation
// behave (issue 17: defects 2, 3, 4, 7, 8).
import { test, expect, Page, Locator } from './test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ViewerPage } from './viewer_page';
import { record } from './fixtures';

/** True when the element at the centre of `loc`'s box is it or inside it: a person sees it. */
async function seenAtCentre(loc: Locator): Promise<boolean> {
  return loc.evaluate((el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
}

async function expectSeen(loc: Locator) {
  await loc.scrollIntoViewIfNeeded();
  await expect.poll(() => seenAtCentre(loc)).toBe(true);
}

/** `n` small unrelated events, one a second, as one trail file on disk (too big to pass inline). */
function manyEvents(n: number): string {
  const parts: string[] = [];
  const t0 = Date.UTC(2026, 9, 1);
  for (let i = 0; i < n; i++) {
    const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const time = new Date(t0 + i * 1000).toISOString().replace('.000Z', 'Z');
    parts.push(`{"eventVersion":"1.08","eventTime":"${time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.${i % 250}","eventID":"${id}"}`);
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-sees-')), 'many.json');
  fs.writeFileSync(file, `{"Records":[${parts.join(',')}]}`);
  return file;
}

async function viewportHeight(page: Page): Promise<number> {
  return page.getByTestId('event-viewport').evaluate((el) => el.getBoundingClientRect().height);
}

test('the event table shows its rows where a person can see them', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  expect(await viewportHeight(page)).toBeGreaterThan(400);
  const rows = page.getByTestId('event-row');
  await expect(rows.first()).toBeVisible();
  // Rows stack one under the other (each its own line), and the first ones are on screen.
  const tops = await rows.evaluateAll((els) => els.slice(0, 5).map((e) => e.getBoundingClientRect().top));
  for (let i = 1; i < tops.length; i++) expect(tops[i] - tops[i - 1]).toBeCloseTo(24, 0);
  for (let i = 0; i < 5; i++) await expectSeen(rows.nth(i));
  // Clicking a row opens it.
  const id = await rows.nth(2).getAttribute('data-event-id');
  await rows.nth(2).click();
  await expect(page.getByTestId('detail-panel')).toHaveAttribute('data-event-id', id!);
});

test('the progress bar follows the load', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  // A big file: the bar is seen part-way at least once, its width the fraction it announces.
  await page.getByTestId('file-input').setInputFiles(manyEvents(300_000));
  const widths: number[] = [];
  for (let i = 0; i < 400 && (await v.status.getAttribute('data-state')) !== 'done'; i++) {
    const w = await page.evaluate(() => {
      const bar = document.querySelector('.load-progress__bar');
      const fill = document.querySelector('.load-progress__fill');
      if (!bar || !fill) return null;
      const f = fill.getBoundingClientRect().width / bar.getBoundingClientRect().width;
      return { f, announced: Number(bar.getAttribute('aria-valuenow')) / 100 };
    });
    if (w) {
      expect(Math.abs(w.f - w.announced)).toBeLessThan(0.05);
      widths.push(w.f);
    }
    await page.waitForTimeout(20);
  }
  await v.waitDone();
  expect(widths.length).toBeGreaterThan(0);
  expect(Math.min(...widths)).toBeLessThan(0.99);
});

test('every row of a load bigger than the scroll cap is reachable, the last one included', async ({ page }) => {
  const n = 400_000; // 9.6 M px of rows: past the table's 8 M px scroll area
  const v = new ViewerPage(page);
  await v.goto();
  await v.upload([manyEvents(n)]);
  await expect(page.getByRole('heading', { name: `Events (${n.toLocaleString('en-US')})` })).toBeVisible();
  const viewport = page.getByTestId('event-viewport');
  await viewport.scrollIntoViewIfNeeded();
  for (const fraction of [0.5, 1]) {
    await viewport.evaluate((el, f) => { el.scrollTop = (el.scrollHeight - el.clientHeight) * f; }, fraction);
    const want = fraction === 1 ? n : Math.round(n / 2);
    // The rows that belong there arrive and are on screen.
    await expect.poll(async () => {
      const idx = await page.getByTestId('event-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('aria-rowindex'))));
      return idx.some((i) => Math.abs(i - want) < 30);
    }).toBe(true);
    const row = page.locator(`[data-testid=event-row][aria-rowindex="${fraction === 1 ? n : (await nearest(page, want))}"]`);
    await expect.poll(() => seenAtCentre(row)).toBe(true);
  }
  // The last row is the last event in time, fully inside the viewport.
  const last = page.locator(`[data-testid=event-row][aria-rowindex="${n}"]`);
  await expect(last).toContainText('GetObject');
  const [r, vp] = await Promise.all([last.boundingBox(), viewport.boundingBox()]);
  expect(r!.y + r!.height).toBeLessThanOrEqual(vp!.y + vp!.height + 1);
});

async function nearest(page: Page, want: number): Promise<number> {
  const idx = await page.getByTestId('event-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('aria-rowindex'))));
  return idx.reduce((a, b) => (Math.abs(b - want) < Math.abs(a - want) ? b : a));
}

test('tables keep values whole and the detail panel fits a phone', async ({ page }) => {
  const v = new ViewerPage(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await v.goto();
  await v.loadSample();
  await v.tunnelRows.first().click();
  await expect(page.getByTestId('detail-panel')).not.toContainText('Loading');
  // No value of the tunnel or endpoint tables breaks onto a second line, panel open or not
  // (the endpoint activity's free-text details column may wrap, between words).
  for (const rows of [v.tunnelRows, v.endpointRows]) {
    const broken = await rows.evaluateAll((els) => els.slice(0, 30).flatMap((row) =>
      Array.from(row.querySelectorAll('td:not(.wrap)')).filter((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        const lines = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
        return lines.size > 1;
      }).map((td) => td.textContent)));
    expect(broken).toEqual([]);
  }
  // The timeline keeps inside its box when the panel takes room.
  const fits = await page.getByTestId('tunnel-timeline').evaluate((el) => {
    const canvas = el.querySelector('canvas.timeline__canvas') as HTMLCanvasElement | null;
    const scroll = el.querySelector('.timeline__scroll') as HTMLElement | null;
    if (!canvas || !scroll) return 'missing';
    return canvas.getBoundingClientRect().width <= scroll.clientWidth + 1 ? 'fits' : `${canvas.getBoundingClientRect().width} > ${scroll.clientWidth}`;
  });
  expect(fits).toBe('fits');
  // 400 px: the panel is on screen with its close button, nothing wider than the screen.
  await page.setViewportSize({ width: 400, height: 800 });
  const panel = page.getByTestId('detail-panel');
  const box = await panel.boundingBox();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(400);
  const close = panel.getByRole('button', { name: 'close' });
  await expectSeen(close);
  const closeBox = await close.boundingBox();
  expect(closeBox!.x + closeBox!.width).toBeLessThanOrEqual(400);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
  await close.click();
  await expect(panel).toHaveCount(0);
});

test('the keyboard reaches rows, and Enter opens them', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  // The file chooser shows where the focus is.
  await page.getByTestId('file-input').focus();
  const ring = await page.locator('.drop-zone__pick').first().evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(ring).not.toBe('none');
  // Tab from the query box reaches a tunnel row; Enter opens it.
  await page.getByTestId('filter-input').focus();
  let onRow = false;
  for (let i = 0; i < 300 && !onRow; i++) {
    await page.keyboard.press('Tab');
    onRow = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'tunnel-row');
  }
  expect(onRow).toBe(true);
  const id = await page.evaluate(() => document.activeElement!.getAttribute('data-event-id'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('detail-panel')).toHaveAttribute('data-event-id', id!);
  // Event rows too, and ArrowDown moves to the next one.
  const rows = page.getByTestId('event-row');
  await rows.first().focus();
  await page.keyboard.press('ArrowDown');
  const next = await rows.nth(1).getAttribute('data-event-id');
  expect(await page.evaluate(() => document.activeElement!.getAttribute('data-event-id'))).toBe(next);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('detail-panel')).toHaveAttribute('data-event-id', next!);
});

test('W/S/A/D move the timeline without clicking it first', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  const timeline = page.getByTestId('tunnel-timeline');
  const span = async () => Number(await timeline.getAttribute('data-span-ms'));
  const before = await span();
  expect(before).toBeGreaterThan(0);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('w');
  await expect.poll(span).toBeLessThan(before);
  await page.keyboard.press('s');
  await page.keyboard.press('s');
  await expect.poll(span).toBeGreaterThan(before * 0.99);
  // Typing in the query box is typing, not zooming.
  const now = await span();
  await page.getByTestId('filter-input').fill('');
  await page.getByTestId('filter-input').press('w');
  await expect(page.getByTestId('filter-input')).toHaveValue('w');
  expect(await span()).toBe(now);
});

test('queries say what they do: OR, wildcards, and a query that is not applied', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  // OR is an operator, not a word; * is a wildcard (the sample: alice 15 tunnels, mallory 5).
  await v.filter('user:alice OR user:contractor-mallory');
  await expect(v.stat('tunnels')).toHaveText('20');
  await v.filter('user:ali*');
  await expect(v.stat('tunnels')).toHaveText('15');
  await v.filter('(user:alice OR port:3389) outcome:accepted');
  await expect(v.stat('failed-tunnels')).toHaveText('0');
  const inEffect = await v.stat('tunnels').innerText();
  // An unclosed parenthesis: not applied, said beside the box, the data keeps the last query.
  await v.filter('(user:alice');
  await expect(page.getByTestId('filter-error')).toContainText('Not applied');
  await expect(page.getByTestId('filter-error-span')).not.toHaveText('');
  await expect(page.getByTestId('filter-in-effect')).toContainText('(user:alice OR port:3389) outcome:accepted');
  await expect(page.getByTestId('filter-input')).toHaveValue('(user:alice');
  await expect(v.stat('tunnels')).toHaveText(inEffect);
  await expectSeen(page.getByTestId('filter-error'));
});

test('Back undoes a view change and keeps the data; a missing selection says so', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await v.filter('port:3389');
  await expect(v.stat('tunnels')).not.toHaveText('45');
  const port3389 = await v.stat('tunnels').innerText();
  await v.filter('port:22');
  await expect(v.stat('tunnels')).not.toHaveText(port3389);
  const port22 = await v.stat('tunnels').innerText();
  await v.tunnelRows.first().click();
  await expect(page.getByTestId('detail-panel')).toBeVisible();
  await page.goBack();
  await expect(page.getByTestId('detail-panel')).toHaveCount(0);
  await expect(v.stat('tunnels')).toHaveText(port22);
  await page.goBack();
  await expect(page.getByTestId('filter-input')).toHaveValue('port:3389');
  await page.goBack();
  await expect(page.getByTestId('filter-input')).toHaveValue('');
  await expect(v.stat('tunnels')).toHaveText('45');
  await page.goForward();
  await expect(page.getByTestId('filter-input')).toHaveValue('port:3389');
  // A link whose selection is not in the data.
  await page.goto('about:blank');
  await page.goto('./#sel=00000000-dead-beef-0000-000000000000');
  await v.loadSample();
  await expect(page.getByTestId('detail-missing')).toContainText('No loaded event has the ID');
});

test('words: the zone in headers, singulars, data without EICE activity, the theme kept', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.upload([{ name: 'one.json', buffer: Buffer.from(JSON.stringify({ Records: [record('GetObject', { eventSource: 's3.amazonaws.com' })] })) }]);
  await expect(v.status).toContainText('1 event loaded from 1 file');
  await expect(page.getByTestId('no-eice')).toContainText('no EC2 Instance Connect Endpoint activity');
  await expect(page.getByTestId('tunnel-table')).toHaveCount(0);
  await expectSeen(page.getByTestId('event-row').first());
  await page.getByTestId('clear').click();
  await v.loadSample();
  await expect(page.getByTestId('no-eice')).toHaveCount(0);
  await expect(page.getByTestId('tunnel-table').locator('th').first()).toHaveText('time (UTC)');
  await page.getByTestId('toggle-time').click();
  await expect(page.getByTestId('tunnel-table').locator('th').first()).toHaveText('time (local)');
  await expect(page.getByTestId('endpoint-changes').locator('th').first()).toHaveText('time (local)');
  await expect(page.getByTestId('sort-time')).toContainText('time (local)');
  // The theme survives a reload.
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.getByTestId('toggle-theme').click();
  const chosen = before === 'dark' ? 'light' : 'dark';
  await expect(page.locator('html')).toHaveAttribute('data-theme', chosen);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', chosen);
});
