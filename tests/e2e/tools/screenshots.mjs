// Screenshots of the timeline with the built-in sample, light and dark, for docs/.
// Usage (after `cargo xtask build`): node tests/e2e/tools/screenshots.mjs
import { chromium } from 'playwright-core';
import { spawn } from 'child_process';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const port = 8097;
const server = spawn('cargo', ['xtask', 'serve-dist', '--port', String(port)], { cwd: root, stdio: 'ignore' });
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  for (const scheme of ['light', 'dark']) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, colorScheme: scheme });
    for (let i = 0; i < 100; i++) {
      try { await page.goto(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); }
    }
    await page.getByTestId('load-sample').click();
    await page.locator('[data-testid=load-status][data-state=done]').waitFor();
    await page.getByTestId('tunnel-timeline').scrollIntoViewIfNeeded();
    await page.getByTestId('tunnel-timeline').screenshot({ path: path.join(root, `docs/timeline-${scheme}.png`) });
    await page.close();
  }
  await browser.close();
} finally {
  server.kill();
}
