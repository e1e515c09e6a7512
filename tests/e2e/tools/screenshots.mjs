// The README's screenshots, from the release site with the built-in sample, each in light and
// dark: the findings panel, a finding opened, and the session timeline with the sessions table;
// and the page in Portuguese (Brazil) with a finding opened, light. Usage (after `cargo xtask
// build`): node tests/e2e/tools/screenshots.mjs [pt-br] (`pt-br`: that picture only)
import { chromium } from 'playwright-core';
import { spawn } from 'child_process';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const port = 8097;
const server = spawn('cargo', ['xtask', 'serve-dist', '--port', String(port)], { cwd: root, stdio: 'ignore' });
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const docs = (name) => path.join(root, 'docs', name);

const only = process.argv[2];

async function open(browser, scheme, locale = 'en-US') {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: scheme, locale });
  for (let i = 0; i < 100; i++) {
    try { await page.goto(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); }
  }
  await page.getByTestId('load-sample').click();
  await page.locator('[data-testid=load-status][data-state=done]').waitFor();
  await page.locator('.app[data-settled=true]').waitFor();
  return page;
}

try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  for (const scheme of only === 'pt-br' ? [] : ['light', 'dark']) {
    const page = await open(browser, scheme);
    await page.screenshot({ path: docs(`findings-${scheme}.png`) });
    // The session timeline, with the sessions table under it.
    await page.evaluate(() => document.querySelector('[data-testid=tunnel-timeline]').scrollIntoView({ block: 'start' }));
    await page.mouse.move(0, 0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: docs(`sessions-${scheme}.png`) });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('[data-testid=finding-row][data-rule=failed-burst]').click();
    await page.locator('[data-testid=finding-detail]').waitFor();
    await page.locator('.app[data-settled=true]').waitFor();
    await page.mouse.move(0, 0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: docs(`finding-open-${scheme}.png`) });
    await page.close();
  }
  // The page in the browser's Portuguese, a finding opened.
  const page = await open(browser, 'light', 'pt-BR');
  await page.locator('[data-testid=finding-row][data-rule=failed-burst]').click();
  await page.locator('[data-testid=finding-detail]').waitFor();
  await page.locator('.app[data-settled=true]').waitFor();
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
  await page.screenshot({ path: docs('pt-br-light.png') });
  await page.close();
  await browser.close();
} finally {
  server.kill();
}
