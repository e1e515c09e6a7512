// The investigation view: filters, deep links, hostile strings, exports and a mixed folder.
import { test, expect, Page } from './test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { ViewerPage } from './viewer_page';
import { ENGINE_FILES, gzTrail, openTunnel, record } from './fixtures';

const TUNNEL_COLUMNS = 'event_id,time,endpoint_id,private_ip,port,max_duration_secs,max_duration_assumed,latest_end,outcome,error_code,principal,principal_arn,source_ip,user_agent,account,region,instance_id,os_user,pairing';

// Expected counts over the built-in sample, per query (tunnels, failed, endpoints).
const SAMPLE_FILTERS: [string, number, number, number][] = [
  ['user:alice', 15, 0, 3],
  ['port:3389', 7, 1, 3],
  ['ip:203.0.113.0/24', 13, 0, 3],
  ['ip:2001:db8::/32', 12, 0, 3],
  ['target:fd00::/8', 3, 0, 1],
  ['outcome:failed', 5, 5, 2],
  ['active:2026-10-01T10:00Z', 4, 0, 3],
  ['user:alice user:contractor-mallory', 20, 5, 3],
];

async function expectCounts(v: ViewerPage, tunnels: number, failed: number, endpoints: number) {
  await v.waitDone();
  await expect(v.stat('tunnels')).toHaveText(String(tunnels));
  await expect(v.stat('failed-tunnels')).toHaveText(String(failed));
  await expect(v.stat('endpoints')).toHaveText(String(endpoints));
  await expect(v.tunnelRows).toHaveCount(tunnels);
}

test('filters narrow counters and rows (user, port, IPv4/IPv6 CIDR, target, outcome, active)', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await expectCounts(v, 45, 5, 3);
  for (const [query, tunnels, failed, endpoints] of SAMPLE_FILTERS) {
    await v.filter(query);
    await expectCounts(v, tunnels, failed, endpoints);
  }
  await v.filter('port:notaport');
  await expect(page.getByTestId('filter-error')).toContainText('port');
  await v.filter('');
  await expectCounts(v, 45, 5, 3);
  // Clicking anywhere in a row opens it (its principal cell included); clicking a value in
  // the detail panel adds it as a filter.
  const first = v.tunnelRows.first();
  const id = await first.getAttribute('data-event-id');
  await first.locator('[data-col=principal]').click();
  await expect(page.getByTestId('detail-panel')).toHaveAttribute('data-event-id', id!);
  await expect(page.getByTestId('filter-input')).toHaveValue('');
  await page.getByTestId('detail-panel').locator('.filterable').filter({ hasText: await first.locator('[data-col=principal]').innerText() }).first().click();
  await expect(page.getByTestId('filter-input')).toHaveValue(/^user:/);
  await expect(v.stat('principals')).toHaveText('1');
});

test('the view lives in the URL: reload restores filter and selection', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await v.filter('port:22 outcome:accepted');
  await expect(v.stat('tunnels')).toHaveText('34');
  const row = v.tunnelRows.nth(3);
  const id = await row.getAttribute('data-event-id');
  await row.locator('td').first().click();
  await expect(page.getByTestId('detail-panel')).toHaveAttribute('data-event-id', id!);
  await expect(page.getByTestId('raw-json')).toContainText('"OpenTunnel"');
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('sel=');
  const url = page.url();
  expect(url).toContain('q=port:22%20outcome:accepted');
  await page.goto('about:blank');
  await page.goto(url);
  await v.loadSample();
  await expect(page.getByTestId('filter-input')).toHaveValue('port:22 outcome:accepted');
  await expect(v.stat('tunnels')).toHaveText('34');
  await expect(page.getByTestId('detail-panel')).toHaveAttribute('data-event-id', id!);
  await expect(page.getByTestId('notice')).toHaveCount(0);
});

test('a link made for other files shows a notice', async ({ page }) => {
  const v = new ViewerPage(page);
  await page.goto('./#q=port:22&fp=0123456789ab');
  await v.loadSample();
  await expect(page.getByTestId('notice')).toContainText('different set of files');
  await expect(page.getByTestId('filter-input')).toHaveValue('port:22');
});

test('hostile strings render as inert text', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  const evil = openTunnel('eice-0ccccccccccccccc3', '10.3.0.1', '22', {
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/<img src=x onerror=window.__pwned=1>', userName: '<img src=x onerror=window.__pwned=1>', accountId: '111122223333' },
    userAgent: '"><script>window.__pwned=2</script>',
    sourceIPAddress: '198.51.100.9\u202e',
  });
  await v.upload([gzTrail([evil])]);
  await expect(v.tunnelRows).toHaveCount(1);
  await expect(v.tunnelRows.first()).toContainText('<img src=x onerror=window.__pwned=1>');
  await expect(v.tunnelRows.first()).toContainText('⟨U+202E⟩');
  await v.tunnelRows.first().locator('td').first().click();
  await expect(page.getByTestId('detail-panel')).toContainText('"><script>window.__pwned=2</script>');
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  expect(await page.locator('img').count()).toBe(0);
});

test('no request leaves the page after it has loaded', async ({ page, baseURL }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const v = new ViewerPage(page);
  await v.goto();
  await page.waitForLoadState('networkidle');
  const atStart = requests.length;
  expect(requests.every((u) => u.startsWith(new URL(baseURL!).origin))).toBe(true);
  await v.loadSample();
  await v.filter('user:alice');
  await v.waitDone();
  await v.tunnelRows.first().locator('td').first().click();
  await expect(page.getByTestId('detail-panel')).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  await download;
  // The engine's own files on its first use (issue 23: not with the first view), nothing else.
  const engine = ENGINE_FILES.map((f) => new URL(f, baseURL).href);
  expect(requests.slice(atStart).filter((u) => !u.startsWith('blob:') && !engine.includes(u))).toEqual([]);
});

async function downloadText(page: Page, testid: string): Promise<string> {
  const pending = page.waitForEvent('download');
  await page.getByTestId(testid).click();
  const d = await pending;
  return fs.readFileSync((await d.path())!, 'utf8');
}

test('exports hold the filtered view, safe for spreadsheets, and the records reload', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  const formula = openTunnel('eice-0ddddddddddddddd4', '10.4.0.1', '22', { userAgent: '=HYPERLINK("http://x","y")' });
  await v.upload([gzTrail([formula])]);
  await v.loadSample();
  await v.filter('outcome:failed');
  await expect(v.stat('tunnels')).toHaveText('5');
  const csv = await downloadText(page, 'export-csv');
  const lines = csv.trim().split(/\r?\n/);
  expect(lines[0]).toBe(TUNNEL_COLUMNS);
  expect(lines.length).toBe(6);
  expect(lines.slice(1).every((l) => l.includes(',failed,'))).toBe(true);
  const json = JSON.parse(await downloadText(page, 'export-json'));
  expect(json.length).toBe(5);
  expect(json[0].outcome).toBe('failed');
  await v.filter('endpoint:eice-0ddddddddddddddd4');
  const safe = await downloadText(page, 'export-csv');
  expect(safe).toContain(`'=HYPERLINK`);
  await v.filter('event:OpenTunnel');
  const records = await downloadText(page, 'export-records');
  expect(JSON.parse(records).Records.length).toBe(46);
  await page.getByTestId('clear').click();
  await v.upload([{ name: 'records.json', buffer: Buffer.from(records) }]);
  await expect(v.stat('tunnels')).toHaveText('46');
  await expect(v.stat('events')).toHaveText('46');
});

test('a mixed folder of exports is read, skipped and rejected file by file', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-mixed-'));
  const t1 = openTunnel('eice-0eeeeeeeeeeeeeee5', '10.5.0.1', '22');
  const t2 = openTunnel('eice-0eeeeeeeeeeeeeee5', '10.5.0.2', '3389');
  const t3 = openTunnel('eice-0eeeeeeeeeeeeeee5', '10.5.0.3', '22');
  const other = record('DescribeInstances');
  const trail = path.join(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0805Z_AbCd.json.gz');
  fs.mkdirSync(path.dirname(trail), { recursive: true });
  fs.writeFileSync(trail, zlib.gzipSync(JSON.stringify({ Records: [t1, other] })));
  const digest = path.join(dir, 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261001T0805Z.json.gz');
  fs.mkdirSync(path.dirname(digest), { recursive: true });
  fs.writeFileSync(digest, zlib.gzipSync(JSON.stringify({ awsAccountId: '111122223333', digestStartTime: '2026-10-01T07:05:00Z', digestEndTime: '2026-10-01T08:05:00Z', logFiles: [] })));
  const lookup = path.join(dir, 'lookup-events.json');
  fs.writeFileSync(lookup, JSON.stringify({ Events: [{ EventId: t2.eventID, EventName: 'OpenTunnel', EventTime: '2026-10-01T01:00:00-07:00', CloudTrailEvent: JSON.stringify(t2) }] }));
  const ndjson = path.join(dir, 'events.ndjson');
  fs.writeFileSync(ndjson, [t3, t1].map((r) => JSON.stringify(r)).join('\r\n') + '\r\n');
  const bridge = path.join(dir, 'eventbridge.json');
  fs.writeFileSync(bridge, JSON.stringify({ version: '0', id: 'x', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', account: '111122223333', time: '2026-10-01T08:00:00Z', region: 'us-east-1', resources: [], detail: other }));
  const junk = path.join(dir, 'README.txt');
  fs.writeFileSync(junk, 'not an export');
  await v.upload([trail, digest, lookup, ndjson, bridge, junk]);
  await expect(v.fileStatuses).toHaveCount(6);
  await expect(page.locator('[data-testid=file-status][data-status=read]')).toHaveCount(4);
  await expect(page.locator('[data-testid=file-status][data-status=skipped]')).toHaveCount(1);
  await expect(page.locator('[data-testid=file-status][data-status=rejected]')).toHaveCount(1);
  // t1 and `other` arrive twice: the duplicates are counted, not loaded again.
  await expect(v.stat('events')).toHaveText('4');
  await expect(v.stat('tunnels')).toHaveText('3');
  await expect(page.getByTestId('stat-accounting')).toContainText('2 duplicates');
});

test('timeline, endpoint cards, event table and coverage render the sample', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await expect(page.getByTestId('tunnel-timeline')).toHaveAttribute('data-marks', '45');
  await expect(page.getByTestId('endpoint-card')).toHaveCount(3);
  await expect(page.locator('[data-testid=endpoint-card][data-endpoint-id=eice-0f9e8d7c6b5a49382]')).toContainText('delete requested');
  await expect(page.locator('[data-testid=endpoint-card][data-endpoint-id=eice-04c5d6e7f8091a2b3]')).toContainText('created before the data starts');
  const firstRow = page.getByTestId('event-row').first();
  await expect(firstRow).toBeVisible();
  expect(await page.getByTestId('event-row').count()).toBeLessThan(60);
  await page.getByTestId('eice-only').check();
  await v.waitDone();
  await expect(page.getByTestId('event-table')).toContainText('Events (');
  await page.getByTestId('timeline-grouping').selectOption('target');
  await v.waitDone();
  await expect(page.getByTestId('coverage')).toContainText('1 account(s)');
  // The canvases follow the window's width.
  const canvasWidth = () => page.getByTestId('timeline-canvas').evaluate((c) => (c as HTMLCanvasElement).width);
  const before = await canvasWidth();
  await page.setViewportSize({ width: 900, height: 800 });
  await expect.poll(canvasWidth).toBeLessThan(before);
});
