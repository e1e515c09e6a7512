// Screenshots for looking at the page by eye (not a test): the findings panel, an open
// finding and an open session, light and dark, into the directory given (default /tmp/shots).
// Usage (after `cargo xtask build`): node tests/e2e/tools/look.mjs [DIR]
import { chromium } from 'playwright-core';
import { spawn } from 'child_process';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const out = process.argv[2] || '/tmp/shots';
const port = 8098;
const server = spawn('cargo', ['xtask', 'serve-dist', '--port', String(port)], { cwd: root, stdio: 'ignore' });
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'];
try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  for (const scheme of ['light', 'dark']) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: scheme });
    page.on('console', (m) => { if (m.type() === 'error') console.log('console error:', m.text()); });
    for (let i = 0; i < 100; i++) {
      try { await page.goto(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); }
    }
    await page.getByTestId('load-sample').click();
    await page.locator('[data-testid=load-status][data-state=done]').waitFor();
    await page.screenshot({ path: path.join(out, `top-${scheme}.png`) });
    await page.getByTestId('finding-row').first().click();
    await page.locator('[data-testid=finding-detail]').waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(out, `finding-${scheme}.png`), fullPage: false });
    await page.getByTestId('filter-input').fill('');
    await page.getByTestId('filter-input').press('Enter');
    await page.getByTestId('sessions-table').scrollIntoViewIfNeeded();
    await page.getByTestId('session-row').nth(2).click();
    await page.locator('[data-testid=session-detail]').waitFor();
    await page.waitForTimeout(500);
    await page.getByTestId('sessions-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(out, `session-${scheme}.png`) });
    await page.close();
  }
  await browser.close();
} finally {
  server.kill();
}
