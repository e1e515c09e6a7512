// Sessions (contracts.md §7) and findings (§8) on the page: the counters, rows and exports equal
// the native CLI's on the sample and on ../shared/corpus; opening a finding or a session makes
// its evidence the view; the gap and the rules' settings live in the link.
import { test, expect, Page } from './test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ViewerPage } from './viewer_page';
import { corpus } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');

/** The CLI's output for `args` (through cargo; built already by the native tests). */
function cli(args: string[]): string {
  return execFileSync('cargo', ['run', '--quiet', '-p', 'tunnelscope-cli', '--', ...args], {
    cwd: ROOT,
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
}

let sampleFile = '';
test.beforeAll(() => {
  sampleFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-sf-')), 'sample.json');
  cli(['sample', '--output', sampleFile]);
});

async function downloadText(page: Page, testid: string): Promise<string> {
  const pending = page.waitForEvent('download');
  await page.getByTestId(testid).click();
  const d = await pending;
  return fs.readFileSync((await d.path())!, 'utf8');
}

function total(findings: { high: number; medium: number; low: number; info: number }): number {
  return findings.high + findings.medium + findings.low + findings.info;
}

test('the sample: sessions and findings counted, listed and exported exactly as the CLI has them', async ({ page }) => {
  const stats = JSON.parse(cli(['stats', '--json', sampleFile]));
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await expect(page.getByTestId('stat-sessions')).toHaveText(String(stats.sessions.total));
  await expect(page.getByTestId('stat-findings')).toHaveText(String(total(stats.findings)));
  // Every finding the CLI lists is a visible row with its rule and severity, in the CLI's order.
  const cliFindings = JSON.parse(cli(['findings', '--format', 'json', sampleFile]));
  const rows = page.getByTestId('finding-row');
  await expect(rows).toHaveCount(cliFindings.length);
  for (const [k, f] of cliFindings.entries()) {
    const row = rows.nth(k);
    await expect(row).toHaveAttribute('data-finding-id', f.finding_id);
    await expect(row).toHaveAttribute('data-rule', f.rule);
    await expect(row).toHaveAttribute('data-severity', f.severity);
  }
  await rows.first().scrollIntoViewIfNeeded();
  await expect(rows.first()).toBeVisible();
  await expect(rows.first()).toContainText(cliFindings[0].explanation);
  for (const sev of ['high', 'medium', 'low', 'info']) {
    await expect(page.getByTestId(`findings-${sev}`)).toHaveAttribute('data-count', String(stats.findings[sev]));
  }
  // The sessions table: its first window, in the CLI's order.
  const cliSessions = cli(['sessions', '--format', 'csv', sampleFile]);
  const ids = cliSessions.trim().split('\r\n').slice(1).map((l) => l.split(',')[0]);
  const sessionRows = page.getByTestId('session-row');
  await sessionRows.first().scrollIntoViewIfNeeded();
  await expect(sessionRows.first()).toBeVisible();
  // 25 a window: the first, then the rest after "next".
  expect(ids.length).toBeGreaterThan(25);
  const shown = () => sessionRows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-session-id')));
  expect(await shown()).toEqual(ids.slice(0, 25));
  await page.locator('[data-testid=sessions-table] .pager button', { hasText: 'next' }).click();
  await expect(sessionRows.first()).toHaveAttribute('data-session-id', ids[25]);
  expect(await shown()).toEqual(ids.slice(25));
  // The exports are the CLI's documents, byte for byte.
  expect(await downloadText(page, 'export-sessions-csv')).toBe(cliSessions);
  // (The CLI ends its JSON with a line break, as a terminal wants.)
  expect(await downloadText(page, 'export-findings-json')).toBe(cli(['findings', '--format', 'json', sampleFile]).replace(/\n$/, ''));
  expect(await downloadText(page, 'export-findings-csv')).toBe(cli(['findings', '--format', 'csv', sampleFile]));
});

test('opening a finding selects its evidence; finding:, severity: and session: filter as the CLI does', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  const burst = page.locator('[data-testid=finding-row][data-rule=failed-burst]');
  await expect(burst).toHaveCount(1);
  await burst.click();
  const id = await burst.getAttribute('data-finding-id');
  await expect(page.getByTestId('filter-input')).toHaveValue(`finding:${id}`);
  await expect(page.getByTestId('finding-detail')).toContainText('denied');
  await expect(v.stat('tunnels')).toHaveText('5');
  await expect(v.stat('failed-tunnels')).toHaveText('5');
  await expect(page.getByTestId('tunnel-row')).toHaveCount(5);
  for (const q of ['finding:rdp', 'finding:any', 'severity:high', 'severity:info -port:22', `finding:${id}`, 'finding:new-source-ip']) {
    await expectLikeCli(v, page, q);
  }
});

/** The counters under query `q` equal `tunnelscope stats --json --filter q` on the sample. */
async function expectLikeCli(v: ViewerPage, page: Page, q: string) {
  const s = JSON.parse(cli(['stats', '--json', '--filter', q, sampleFile]));
  await v.filter(q);
  await expect(v.stat('tunnels'), q).toHaveText(String(s.tunnels.total));
  await expect(v.stat('failed-tunnels'), q).toHaveText(String(s.tunnels.failed));
  await expect(v.stat('endpoints'), q).toHaveText(String(s.endpoints.length));
  await expect(v.stat('principals'), q).toHaveText(String(s.principals));
  await expect(page.getByTestId('stat-sessions'), q).toHaveText(String(s.sessions.total));
  await expect(page.getByTestId('stat-findings'), q).toHaveText(String(total(s.findings)));
}

test('opening a session shows its tunnels and key pushes, with its instance and OS user', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  // alice's first session: the CLI's first row of hers with a key push.
  const rows = JSON.parse(cli(['sessions', '--format', 'json', '--filter', 'user:alice', sampleFile]));
  const session = rows.find((r: any) => r.os_users.length > 0);
  await v.filter('user:alice');
  const row = page.locator(`[data-testid=session-row][data-session-id="${session.session_id}"]`);
  await row.scrollIntoViewIfNeeded();
  await row.click();
  await expect(page.getByTestId('filter-input')).toHaveValue(`session:${session.session_id}`);
  await expect(page.getByTestId('stat-sessions')).toHaveText('1');
  await expect(v.stat('tunnels')).toHaveText(String(session.tunnels));
  const detail = page.getByTestId('session-detail');
  await expect(detail).toBeVisible();
  await expect(detail).toContainText(session.os_users[0]);
  await expect(detail).toContainText(session.instance_ids[0]);
  // The detail panel opened on its first tunnel.
  await expect(page.getByTestId('detail-panel')).toContainText(session.session_id);
  await expectLikeCli(v, page, `session:${session.session_id}`);
  // Its key pushes are in the event table beside its tunnels.
  await expect(page.locator('[data-testid=event-row]', { hasText: 'SendSSHPublicKey' }).first()).toBeVisible();
});

test('the gap and the rules settings change the counts as the CLI does, and live in the link', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  const gap = page.getByTestId('session-gap');
  await gap.scrollIntoViewIfNeeded();
  await gap.fill('0');
  await gap.press('Enter');
  const zero = cli(['sessions', '--gap', '0', '--format', 'json', sampleFile]);
  await expect(page.getByTestId('stat-sessions')).toHaveText(String(JSON.parse(zero).length));
  await expect(page).toHaveURL(/gap=0/);
  // An allow-list turns unknown-source on.
  await page.locator('.findings__settings summary').click();
  await page.getByTestId('findings-settings').fill('unknown-source.allow=198.51.100.0/24,203.0.113.0/24\nrdp.enabled=false');
  await page.getByTestId('apply-settings').click();
  const set = ['--set', 'unknown-source.allow=198.51.100.0/24,203.0.113.0/24', '--set', 'rdp.enabled=false'];
  const expected = JSON.parse(cli(['findings', '--format', 'json', ...set, sampleFile]));
  await expect(page.getByTestId('stat-findings')).toHaveText(String(expected.length));
  await expect(page.locator('[data-testid=finding-row][data-rule=unknown-source]')).toHaveCount(
    expected.filter((f: any) => f.rule === 'unknown-source').length,
  );
  await expect(page.locator('[data-testid=finding-row][data-rule=rdp]')).toHaveCount(0);
  await expect(page).toHaveURL(/set=unknown-source.allow/);
  // A bad setting is said, and the rest still applies.
  await page.getByTestId('findings-settings').fill('failed-burst.min=zero');
  await page.getByTestId('apply-settings').click();
  await expect(page.getByTestId('settings-errors')).toContainText('failed-burst.min');
  // The link restores the gap and the settings.
  await page.getByTestId('findings-settings').fill('unknown-source.allow=198.51.100.0/24,203.0.113.0/24\nrdp.enabled=false');
  await page.getByTestId('apply-settings').click();
  await expect(page.getByTestId('stat-findings')).toHaveText(String(expected.length));
  const url = page.url();
  await page.goto('about:blank');
  await page.goto(url);
  await v.loadSample();
  await expect(page.getByTestId('stat-sessions')).toHaveText(String(JSON.parse(zero).length));
  await expect(page.getByTestId('stat-findings')).toHaveText(String(expected.length));
  await expect(page.getByTestId('session-gap')).toHaveValue('0');
});

test('the corpus: the page counts the sessions and findings the CLI finds', async ({ page }) => {
  test.skip(!fs.existsSync(corpus) && !process.env.CI, 'corpus not present');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith('.md')) files.push(p);
    }
  };
  walk(corpus);
  const stats = JSON.parse(cli(['stats', '--json', ...files]));
  expect(stats.sessions.total).toBeGreaterThan(0);
  const v = new ViewerPage(page);
  await v.goto();
  await v.upload(files);
  await v.waitDone();
  await expect(v.stat('tunnels')).toHaveText(String(stats.tunnels.total));
  await expect(page.getByTestId('stat-sessions')).toHaveText(String(stats.sessions.total));
  await expect(page.getByTestId('stat-findings')).toHaveText(String(total(stats.findings)));
  expect(await downloadText(page, 'export-sessions-csv')).toBe(cli(['sessions', '--format', 'csv', ...files]));
  expect(await downloadText(page, 'export-findings-csv')).toBe(cli(['findings', '--format', 'csv', ...files]));
});
