// Exports are work a person can see and stop: the raw-records export of 50,000 events shows
// its progress, can be cancelled (nothing is downloaded), leaves the page answering filters
// while it runs, holds every record, and takes about as long as loading them did.
import { test, expect, Page } from './test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ViewerPage } from './viewer_page';
import { openTunnel, record } from './fixtures';

const EVENTS = 50_000;
/** Every 200th record is a tunnel (kept whole by the worker); the others are read again from the file. */
const TUNNEL_EVERY = 200;

/**
 * A `{"Records":[…]}` trail of `n` records of about 1.5 KB (CloudTrail's usual size: a policy
 * document as an escaped string), written to a file (a path: no page-side copy).
 */
function writeTrail(n: number) {
  const records = [];
  for (let i = 1; i <= n; i++) {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [0, 1, 2].map((k) => ({
        Sid: `Stmt${i}x${k}`, Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket', 'kms:Decrypt'],
        Resource: [`arn:aws:s3:::bucket-${i % 97}/logs/${k}/*`, `arn:aws:kms:us-east-1:111122223333:key/${i % 13}`],
        Condition: { StringEquals: { 'aws:PrincipalTag/team': `team-${k}` } },
      })),
    });
    records.push(i % TUNNEL_EVERY === 0
      ? openTunnel('eice-0ddddddddddddddd1', `10.7.${i % 250}.${i % 199}`, '22')
      : record('PutBucketPolicy', {
        eventSource: 's3.amazonaws.com',
        requestParameters: { bucketName: `bucket-${i % 97}`, key: `logs/ünïcødé/${i} "q" \\ b.txt`, policy },
      }));
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-export-')), 'trail.json');
  fs.writeFileSync(file, JSON.stringify({ Records: records }));
  return { file, records: records as Record<string, unknown>[] };
}

type Snap = { t: number; done: number; total: number; text: string; buttonsDisabled: boolean };

/**
 * Watches, in the page, the export progress line: every change of it, when an export starts
 * and ends; when armed, applies a filter the moment an export has started and is not done
 * (noting when the events counter shows the filtered count), or presses Cancel the moment the
 * line appears. In the page, so that neither depends on how fast the test runner reacts.
 */
async function watchExports(page: Page) {
  await page.addInitScript(() => {
    const w = window as any;
    w.__ex = { snaps: [], startedAt: null, endedAt: null, filter: null, filterAt: null, filteredAt: null, cancel: false, cancelAt: null };
    const observe = () => {
      const ex = w.__ex;
      const line = document.querySelector('[data-testid=export-progress]');
      const now = performance.now();
      if (line) {
        if (ex.startedAt === null) ex.startedAt = now;
        const buttons = [...document.querySelectorAll('[data-testid^=export-]')].filter((b) => b.tagName === 'BUTTON' && b.getAttribute('data-testid') !== 'export-cancel');
        const s = {
          t: now,
          done: Number(line.getAttribute('data-done')),
          total: Number(line.getAttribute('data-total')),
          text: line.textContent ?? '',
          // Tunnels, events (CSV, JSON), raw records, sessions and findings (CSV, JSON).
          buttonsDisabled: buttons.length === 9 && buttons.every((b) => (b as HTMLButtonElement).disabled),
        };
        const last = ex.snaps[ex.snaps.length - 1];
        if (!last || JSON.stringify({ ...last, t: 0 }) !== JSON.stringify({ ...s, t: 0 })) ex.snaps.push(s);
        if (ex.cancel && ex.cancelAt === null) {
          (line.querySelector('[data-testid=export-cancel]') as HTMLButtonElement).click();
          ex.cancelAt = now;
        }
        if (ex.filter && ex.filterAt === null && s.total > 0 && s.done < s.total) {
          // The filter is typed while the export runs.
          const input = document.querySelector('[data-testid=filter-input]') as HTMLInputElement;
          input.value = ex.filter.query;
          input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
          ex.filterAt = now;
        }
      } else if (ex.startedAt !== null && ex.endedAt === null) {
        ex.endedAt = now;
      }
      const events = document.querySelector('[data-testid=stat-events]')?.textContent;
      if (ex.filterAt !== null && ex.filteredAt === null && events === ex.filter.events) ex.filteredAt = now;
    };
    new MutationObserver(observe).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

/**
 * Starts watching a new export: `filter`, the query to type while it runs and the count it
 * gives; `cancel`, press Cancel as soon as it shows.
 */
async function resetWatch(page: Page, opts: { filter?: { query: string; events: string }; cancel?: boolean } = {}) {
  await page.evaluate(({ filter, cancel }) => {
    (window as any).__ex = { snaps: [], startedAt: null, endedAt: null, filter, filterAt: null, filteredAt: null, cancel, cancelAt: null };
  }, { filter: opts.filter ?? null, cancel: opts.cancel ?? false });
}

async function watched(page: Page) {
  return page.evaluate(() => (window as any).__ex);
}

function recordsOf(file: string): Record<string, unknown>[] {
  return JSON.parse(fs.readFileSync(file, 'utf8')).Records;
}

test('the raw-records export of 50,000 events shows progress, can be cancelled, never blocks a filter, and holds every record', async ({ page }) => {
  test.setTimeout(240_000);
  const { file, records } = writeTrail(EVENTS);
  const tunnels = records.filter((r) => r.eventName === 'OpenTunnel').length;
  await watchExports(page);
  const v = new ViewerPage(page);
  await v.goto();
  const loadStart = Date.now();
  await v.upload([file]);
  const loadMs = Date.now() - loadStart;
  await expect(v.stat('events')).toHaveText(String(EVENTS));
  const exportButton = page.getByTestId('export-records');
  let downloads = 0;
  page.on('download', () => { downloads += 1; });

  // 1. An export with a filter typed while it runs: the counters follow before it ends, and the
  //    file still holds what matched when it was asked for (everything).
  await resetWatch(page, { filter: { query: 'event:OpenTunnel', events: String(tunnels) } });
  let pending = page.waitForEvent('download', { timeout: 120_000 });
  await exportButton.click();
  const first = await pending;
  const a = await watched(page);
  console.log(`load ${loadMs} ms; export ${Math.round(a.endedAt - a.startedAt)} ms; ${a.snaps.length} progress states; filter applied ${Math.round(a.filterAt - a.startedAt)} ms in, counters ${Math.round(a.filteredAt - a.startedAt)} ms in`);
  const snaps: Snap[] = a.snaps;
  // Progress: "n of m records", between none and all, the buttons off meanwhile.
  const mid = snaps.filter((s) => s.total === EVENTS && s.done > 0 && s.done < s.total);
  expect(mid.length, JSON.stringify(snaps)).toBeGreaterThan(0);
  expect(mid[0].text).toMatch(/[\d,]+ of 50,000 records/);
  expect(snaps.every((s) => s.buttonsDisabled), JSON.stringify(snaps)).toBe(true);
  for (let k = 1; k < snaps.length; k++) expect(snaps[k].done).toBeGreaterThanOrEqual(snaps[k - 1].done);
  // The filter was applied while the export ran, and its counters were on screen before it ended.
  expect(a.filterAt).not.toBeNull();
  expect(a.filteredAt, 'the filtered counters never showed').not.toBeNull();
  expect(a.filteredAt).toBeLessThan(a.endedAt);
  await expect(v.stat('events')).toHaveText(String(tunnels));
  expect(recordsOf((await first.path())!).length).toBe(EVENTS);
  await expect(page.getByTestId('export-progress')).toHaveCount(0);
  await expect(exportButton).toBeEnabled();
  // About as fast as the load (it was ~40 s against a load of under a second).
  expect(a.endedAt - a.startedAt).toBeLessThan(Math.max(5 * loadMs, 5_000));

  // 2. A cancelled export: the line says so, then goes, and nothing is downloaded.
  await v.filter('');
  await expect(v.stat('events')).toHaveText(String(EVENTS));
  const before = downloads;
  await resetWatch(page, { cancel: true });
  await exportButton.click();
  await page.waitForFunction(() => (window as any).__ex.cancelAt !== null);
  await expect(page.getByTestId('export-progress')).toHaveCount(0);
  await expect(exportButton).toBeEnabled();
  const b = await watched(page);
  expect(b.cancelAt, 'Cancel was never pressed').not.toBeNull();
  expect((b.snaps as Snap[]).some((s) => s.text.includes('Cancelling'))).toBe(true);
  // Long enough for a whole export to have arrived, had it not been stopped.
  await page.waitForTimeout(Math.max(2_000, 2 * (a.endedAt - a.startedAt)));
  expect(downloads).toBe(before);

  // 3. A complete export: every record, each exactly as loaded.
  await resetWatch(page);
  pending = page.waitForEvent('download', { timeout: 120_000 });
  await exportButton.click();
  const last = await pending;
  expect(last.suggestedFilename()).toBe('records.json');
  const got = recordsOf((await last.path())!);
  expect(got.length).toBe(EVENTS);
  const want = new Map(records.map((r) => [r.eventID as string, JSON.stringify(r)]));
  let same = 0;
  for (const r of got) if (want.get(r.eventID as string) === JSON.stringify(r)) same += 1;
  expect(same).toBe(EVENTS);
  expect(downloads).toBe(before + 1);
});
