// Pictures of the release site compared with committed baselines (tests/e2e/__screenshots__):
// what a person sees, in light and dark, with the detail panel open, on a phone, over a
// multi-year range and deep in a big event table. A changed baseline is looked at and said in
// the commit that changes it (`npx playwright test pictures.spec.ts --update-snapshots`).
import { test, expect, Page } from './test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ViewerPage } from './viewer_page';
import { openTunnel, record } from './fixtures';

async function settle(page: Page) {
  // Every section up to date, fonts laid out, nothing focused or hovered.
  await expect(page.locator('.app')).toHaveAttribute('data-settled', 'true');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.mouse.move(0, 0);
  await page.evaluate(() => document.fonts.ready);
}

async function sample(page: Page, width: number, height: number, dark: boolean) {
  await page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' });
  await page.setViewportSize({ width, height });
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await settle(page);
  return v;
}

test('the sample at 1440x900, light', async ({ page }) => {
  await sample(page, 1440, 900, false);
  await expect(page).toHaveScreenshot('sample-light.png');
});

test('the sample at 1440x900, dark', async ({ page }) => {
  await sample(page, 1440, 900, true);
  await expect(page).toHaveScreenshot('sample-dark.png');
});

test('the detail panel open beside the timeline', async ({ page }) => {
  const v = await sample(page, 1440, 900, false);
  await v.tunnelRows.nth(2).click();
  await expect(page.getByTestId('raw-json')).toContainText('OpenTunnel');
  await page.getByTestId('tunnel-timeline').scrollIntoViewIfNeeded();
  await settle(page);
  await expect(page).toHaveScreenshot('detail-open.png');
});

test('a phone, 400 px wide, with the detail panel', async ({ page }) => {
  const v = await sample(page, 400, 860, false);
  await expect(page).toHaveScreenshot('phone.png');
  await v.tunnelRows.first().click();
  await expect(page.getByTestId('raw-json')).toContainText('OpenTunnel');
  await page.getByTestId('detail-panel').scrollIntoViewIfNeeded();
  await settle(page);
  await expect(page).toHaveScreenshot('phone-detail.png');
});

test('a multi-year range', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const v = new ViewerPage(page);
  await v.goto();
  const records = [];
  for (let year = 2013; year <= 2026; year++) {
    for (const month of [0, 5]) {
      const time = new Date(Date.UTC(year, month, 10, 9, 30)).toISOString().replace('.000Z', 'Z');
      records.push(openTunnel('eice-0123456789abcdef0', `10.0.${year - 2000}.${month + 1}`, year % 3 === 0 ? '3389' : '22', { eventTime: time }));
    }
  }
  records.push(record('CreateInstanceConnectEndpoint', { eventTime: '2013-01-05T08:00:00Z', responseElements: { instanceConnectEndpoint: { instanceConnectEndpointId: 'eice-0123456789abcdef0', state: 'create-in-progress' } } }));
  await v.upload([{ name: 'years.json', buffer: Buffer.from(JSON.stringify({ Records: records })) }]);
  await settle(page);
  await page.getByTestId('tunnel-timeline').scrollIntoViewIfNeeded();
  await settle(page);
  await expect(page.getByTestId('tunnel-timeline')).toHaveScreenshot('multi-year-timeline.png');
});

test('the event table scrolled deep into a large load', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const v = new ViewerPage(page);
  await v.goto();
  const parts: string[] = [];
  const t0 = Date.UTC(2026, 9, 1);
  for (let i = 0; i < 200_000; i++) {
    const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const time = new Date(t0 + i * 1000).toISOString().replace('.000Z', 'Z');
    parts.push(`{"eventVersion":"1.08","eventTime":"${time}","eventSource":"s3.amazonaws.com","eventName":"${i % 7 ? 'GetObject' : 'PutObject'}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.${i % 250}","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u${i % 13}","userName":"u${i % 13}"},"eventID":"${id}"}`);
  }
  // On disk: Playwright passes at most 50 MB inline.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-pictures-')), 'deep.json');
  fs.writeFileSync(file, `{"Records":[${parts.join(',')}]}`);
  await v.upload([file]);
  const viewport = page.getByTestId('event-viewport');
  await viewport.scrollIntoViewIfNeeded();
  await viewport.evaluate((el) => { el.scrollTop = (el.scrollHeight - el.clientHeight) * 0.73; });
  await expect(page.locator('[data-testid=event-row][aria-rowindex="146000"]')).toBeVisible();
  await settle(page);
  await expect(page.getByTestId('event-table')).toHaveScreenshot('event-table-deep.png');
});
