// Parsing happens in a worker: loading a 50 MB file never blocks the page for over 100 ms.
import { test, expect } from './test';
import { ViewerPage } from './viewer_page';
import { bigTrail } from './fixtures';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

test('no main-thread task over 100 ms while a 50 MB file loads', async ({ page }) => {
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
  const start = await page.evaluate(() => performance.now());
  await v.upload([file]);
  const tasks: { start: number; duration: number }[] = await page.evaluate(() => (window as any).__longTasks);
  const during = tasks.filter((t) => t.start >= start);
  console.log(`long tasks during the load: ${JSON.stringify(during)}`);
  expect(Number(await v.stat('events').textContent())).toBeGreaterThan(30_000);
  expect(during.filter((t) => t.duration > 100)).toEqual([]);
});
