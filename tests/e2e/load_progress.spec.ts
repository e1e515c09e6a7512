// Progress you can trust: the progress panel while files load, partial results as files finish,
// and Cancel, which keeps the files read before it and leaves a working page.
import { test, expect, Page } from './test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ViewerPage } from './viewer_page';
import { bigTrail, openTunnel, record } from './fixtures';

type Snapshot = {
  t: number; state: string | null; bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number;
  events: number; rate: string; eta: string; statEvents: string;
};

/** Records, in the page, every change of the progress panel and the events counter while loading. */
async function watchProgress(page: Page, opts: { cancelWhen?: 'mid-load' | 'mid-file' } = {}) {
  await page.addInitScript((cancelWhen) => {
    const w = window as any;
    w.__snapshots = [];
    w.__cancelClicked = null;
    const num = (el: Element | null, attr: string) => Number(el?.getAttribute(attr) ?? NaN);
    const snap = () => {
      const status = document.querySelector('[data-testid=load-status]');
      const panel = document.querySelector('[data-testid=load-progress]');
      if (!panel) return;
      const bytes = panel.querySelector('[data-testid=progress-bytes]');
      const files = panel.querySelector('[data-testid=progress-files]');
      const s = {
        t: performance.now(),
        state: status?.getAttribute('data-state') ?? null,
        bytesDone: num(bytes, 'data-done'), bytesTotal: num(bytes, 'data-total'),
        filesDone: num(files, 'data-done'), filesTotal: num(files, 'data-total'),
        events: num(panel.querySelector('[data-testid=progress-events]'), 'data-value'),
        rate: panel.querySelector('[data-testid=progress-rate]')?.textContent ?? '',
        eta: panel.querySelector('[data-testid=progress-eta]')?.textContent ?? '',
        statEvents: document.querySelector('[data-testid=stat-events]')?.textContent ?? '',
      };
      const last = w.__snapshots[w.__snapshots.length - 1];
      if (!last || JSON.stringify({ ...last, t: 0 }) !== JSON.stringify({ ...s, t: 0 })) w.__snapshots.push(s);
      // Cancel while a file is still to be read: at least one file finished and one left.
      if (cancelWhen === 'mid-load' && w.__armed && !w.__cancelClicked && s.filesDone >= 1 && s.filesDone < s.filesTotal) {
        w.__cancelClicked = s;
        (panel.querySelector('[data-testid=cancel-load]') as HTMLButtonElement).click();
      }
      // Cancel in the middle of the first file.
      if (cancelWhen === 'mid-file' && w.__armed && !w.__cancelClicked && s.bytesDone > 0 && s.bytesDone < s.bytesTotal / 2) {
        w.__cancelClicked = s;
        (panel.querySelector('[data-testid=cancel-load]') as HTMLButtonElement).click();
      }
    };
    new MutationObserver(snap).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  }, opts.cancelWhen ?? null);
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-progress-'));
}

/** Writes a `{"Records":[…]}` file; returns its path, record count and OpenTunnel count. */
function writeTrail(dir: string, name: string, body: Buffer) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  const records: { eventName: string }[] = JSON.parse(body.toString('utf8')).Records;
  return { file, name, size: body.length, records: records.length, tunnels: records.filter((r) => r.eventName === 'OpenTunnel').length };
}

function smallTrail(dir: string, name: string, n: number) {
  const recs = [];
  for (let i = 0; i < n; i++) {
    recs.push(i % 3 === 0 ? openTunnel('eice-0cccccccccccccccc', `10.9.0.${i % 250}`, '22') : record('DescribeInstances'));
  }
  return writeTrail(dir, name, Buffer.from(JSON.stringify({ Records: recs })));
}

async function reportedFiles(page: Page): Promise<string[]> {
  return page.getByTestId('file-status').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
}

test('a multi-file load shows plausible progress, partial results, then the final counts', async ({ page }) => {
  const dir = tempDir();
  const parts = Array.from({ length: 10 }, (_, i) => writeTrail(dir, `part-${String(i).padStart(2, '0')}.json`, bigTrail(5)));
  const totalRecords = parts.reduce((a, p) => a + p.records, 0);
  const totalBytes = parts.reduce((a, p) => a + p.size, 0);
  await watchProgress(page);
  // What every section shows at the moment `load-status` turns `done` (sections catch up with a
  // partial view one task each while loading; `done` must wait for the last of them).
  await page.addInitScript(() => {
    const w = window as any;
    w.__atDone = null;
    new MutationObserver(() => {
      const status = document.querySelector('[data-testid=load-status]');
      if (w.__atDone || status?.getAttribute('data-state') !== 'done') return;
      const text = (sel: string) => document.querySelector(sel)?.textContent?.trim() ?? null;
      w.__atDone = {
        stat: text('[data-testid=stat-events]'),
        eventTable: text('[data-testid=event-table] h2'),
        endpointActivity: text('[data-testid=endpoint-changes] h2'),
        tunnelRows: document.querySelectorAll('[data-testid=tunnel-row]').length,
        settled: document.querySelector('.app')?.getAttribute('data-settled'),
      };
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  });
  const v = new ViewerPage(page);
  await v.goto();
  await v.upload(parts.map((p) => p.file));

  await expect(v.stat('events')).toHaveText(String(totalRecords));
  const atDone = await page.evaluate(() => (window as any).__atDone);
  expect(atDone).toMatchObject({ stat: String(totalRecords), eventTable: `Events (${totalRecords.toLocaleString('en-US')})`, settled: 'true' });
  // The same numbers as once everything has settled.
  expect(atDone.endpointActivity).toBe(await page.getByTestId('endpoint-changes').locator('h2').textContent());
  expect(atDone.tunnelRows).toBe(await v.tunnelRows.count());
  await expect(v.stat('tunnels')).toHaveText(String(parts.reduce((a, p) => a + p.tunnels, 0)));
  await expect(v.fileStatuses).toHaveCount(parts.length);
  await expect(page.getByTestId('load-progress')).toHaveCount(0);
  await expect(v.status).not.toHaveAttribute('data-cancelled', 'true');

  const snaps: Snapshot[] = await page.evaluate(() => (window as any).__snapshots);
  console.log(`${snaps.length} progress snapshots; last while loading: ${JSON.stringify(snaps[snaps.length - 1])}`);
  expect(snaps.length).toBeGreaterThan(0);
  for (const s of snaps) {
    expect(s.state).toBe('loading');
    expect(s.filesTotal).toBe(parts.length);
    expect(s.bytesTotal).toBe(totalBytes);
    expect(s.filesDone).toBeGreaterThanOrEqual(0);
    expect(s.filesDone).toBeLessThanOrEqual(s.filesTotal);
    expect(s.bytesDone).toBeGreaterThanOrEqual(0);
    expect(s.bytesDone).toBeLessThanOrEqual(s.bytesTotal);
    expect(s.events).toBeLessThanOrEqual(totalRecords);
    expect(s.rate).toMatch(/^(–|\d+\.\d MB\/s)$/);
    expect(s.eta).toMatch(/^(estimating…|finishing…|about \d+ (s|min \d\d s|h \d\d min) left)$/);
  }
  // The counts only grow.
  for (let i = 1; i < snaps.length; i++) {
    expect(snaps[i].bytesDone).toBeGreaterThanOrEqual(snaps[i - 1].bytesDone);
    expect(snaps[i].filesDone).toBeGreaterThanOrEqual(snaps[i - 1].filesDone);
    expect(snaps[i].events).toBeGreaterThanOrEqual(snaps[i - 1].events);
  }
  // Progress moved while loading (not just 0 then gone), and events were counted.
  expect(snaps.some((s) => s.bytesDone > 0 && s.filesDone > 0)).toBe(true);
  expect(Math.max(...snaps.map((s) => s.events))).toBeGreaterThan(0);
  // Partial results: the counter showed some, not all, events while the load went on.
  const partial = snaps.map((s) => Number(s.statEvents)).filter((n) => n > 0 && n < totalRecords);
  expect(partial.length).toBeGreaterThan(0);
});

test('Cancel stops a big load, keeps what was read, and the page still works', async ({ page }) => {
  const dir = tempDir();
  // Loaded first, in a load of its own.
  const before = [smallTrail(dir, 'earlier-1.json', 30), smallTrail(dir, 'earlier-2.json', 12)];
  // Then one load: a small file (read first: files are read in path order), then two big ones.
  const first = smallTrail(dir, 'a-first.json', 9);
  const big1 = writeTrail(dir, 'big-1.json', bigTrail(40));
  const big2 = writeTrail(dir, 'big-2.json', bigTrail(40));
  await watchProgress(page, { cancelWhen: 'mid-load' });
  const v = new ViewerPage(page);
  await v.goto();
  await v.upload(before.map((f) => f.file));
  const nBefore = before.reduce((a, f) => a + f.records, 0);
  await expect(v.stat('events')).toHaveText(String(nBefore));

  await page.evaluate(() => { (window as any).__armed = true; });
  await page.getByTestId('file-input').setInputFiles([big2.file, first.file, big1.file]);
  await expect(v.status).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  const clicked: Snapshot | null = await page.evaluate(() => (window as any).__cancelClicked);
  console.log(`cancel clicked at ${JSON.stringify(clicked)}`);
  expect(clicked).not.toBeNull();
  await expect(v.status).toHaveAttribute('data-cancelled', 'true');
  await expect(page.getByTestId('load-progress')).toHaveCount(0);

  // Kept: the earlier load and every file finished before the cancel; dropped: the rest.
  const files = await reportedFiles(page);
  console.log(`files after the cancel: ${JSON.stringify(files)}`);
  for (const f of [...before, first]) expect(files.some((t) => t.includes(f.name))).toBe(true);
  expect(files.some((t) => t.includes(big2.name))).toBe(false);
  const kept = [...before, first, ...(files.some((t) => t.includes(big1.name)) ? [big1] : [])];
  expect(files.length).toBe(kept.length);
  await expect(v.stat('events')).toHaveText(String(kept.reduce((a, f) => a + f.records, 0)));
  await expect(v.stat('tunnels')).toHaveText(String(kept.reduce((a, f) => a + f.tunnels, 0)));

  // The page still works: a query filters what was kept.
  await v.filter('event:OpenTunnel');
  await expect(v.stat('events')).toHaveText(String(kept.reduce((a, f) => a + f.tunnels, 0)));
  await v.filter('');
  await expect(v.stat('events')).toHaveText(String(kept.reduce((a, f) => a + f.records, 0)));

  // And a new load starts afresh: done, no longer marked cancelled.
  await page.evaluate(() => { (window as any).__armed = false; });
  const after = smallTrail(dir, 'later.json', 6);
  await v.upload([after.file]);
  await expect(v.status).not.toHaveAttribute('data-cancelled', 'true');
  await expect(v.stat('events')).toHaveText(String(kept.reduce((a, f) => a + f.records, 0) + after.records));
});

test('Cancel stops a lone big file read by a helper for the owner, and the next load works', async ({ page }) => {
  // One file and two workers: the idle helper reads the file and sends its bytes to the
  // owner, a window at a time; Cancel must stop both, and the next load must not wait for it.
  const dir = tempDir();
  const big = writeTrail(dir, 'big-alone.json', bigTrail(80));
  await watchProgress(page, { cancelWhen: 'mid-file' });
  const v = new ViewerPage(page);
  await v.goto();
  expect(await page.evaluate(() => navigator.hardwareConcurrency)).toBeGreaterThan(1);
  await page.evaluate(() => { (window as any).__armed = true; });
  await page.getByTestId('file-input').setInputFiles([big.file]);
  await expect(v.status).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  expect(await page.evaluate(() => (window as any).__cancelClicked)).not.toBeNull();
  await expect(v.status).toHaveAttribute('data-cancelled', 'true');
  expect(await reportedFiles(page)).toEqual([]);
  await expect(v.stat('events')).toHaveText('0');

  await page.evaluate(() => { (window as any).__armed = false; });
  const after = smallTrail(dir, 'later.json', 6);
  await v.upload([after.file]);
  await expect(v.status).not.toHaveAttribute('data-cancelled', 'true');
  await expect(v.stat('events')).toHaveText(String(after.records));
  // The same big file, whole this time, through the helper: every record arrives.
  await v.upload([big.file]);
  await expect(v.status).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(v.stat('events')).toHaveText(String(after.records + big.records));
});
