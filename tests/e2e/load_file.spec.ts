// Journeys through the real file input: the documentation example, a gzipped S3 trail file,
// malformed input, and the built-in sample.
import { test, expect } from './test';
import * as fs from 'fs';
import { ViewerPage } from './viewer_page';
import { ENGINE_FILES, docOpenTunnel, gzTrail, openTunnel, record } from './fixtures';

test('the AWS documentation OpenTunnel example shows one tunnel', async ({ page }) => {
  test.skip(!fs.existsSync(docOpenTunnel) && !process.env.CI, 'corpus not present');
  const v = new ViewerPage(page);
  await v.goto();
  await v.upload([docOpenTunnel]);
  await expect(v.stat('tunnels')).toHaveText('1');
  await expect(v.stat('events')).toHaveText('1');
  await expect(v.tunnelRows).toHaveCount(1);
  const row = v.tunnelRows.first();
  await expect(row).toHaveAttribute('data-event-id', 'bbba272c-8777-43ad-91f6-c4ab1c7f96fd');
  await expect(row.locator('[data-col=endpoint]')).toHaveText('eici-0123456789EXAMPLE');
  await expect(row.locator('[data-col=private-ip]')).toHaveText('10.0.1.1');
  await expect(row.locator('[data-col=port]')).toHaveText('22');
  await expect(v.stat('endpoints')).toHaveText('1');
});

test('a gzipped S3 trail file lists tunnels and endpoint changes in time order', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  const t1 = openTunnel('eice-0aaaaaaaaaaaaaaa1', '10.1.0.5', '22');
  const t2 = openTunnel('eice-0aaaaaaaaaaaaaaa1', 'fd00::7', '3389', { errorCode: 'AccessDenied', errorMessage: 'denied' });
  const create = record('CreateInstanceConnectEndpoint', {
    requestParameters: { CreateInstanceConnectEndpointRequest: { SubnetId: 'subnet-1' } },
    responseElements: { CreateInstanceConnectEndpointResponse: { instanceConnectEndpoint: { instanceConnectEndpointId: 'eice-0aaaaaaaaaaaaaaa1', state: 'create-in-progress', vpcId: 'vpc-1' } } },
  });
  const other = record('DescribeInstances');
  // Unordered in the file, as real trails are.
  await v.upload([gzTrail([t2, other, t1, create])]);
  await expect(v.stat('events')).toHaveText('4');
  await expect(v.stat('tunnels')).toHaveText('2');
  await expect(v.stat('failed-tunnels')).toHaveText('1');
  await expect(v.stat('endpoints')).toHaveText('1');
  await expect(v.tunnelRows).toHaveCount(2);
  await expect(v.tunnelRows.nth(0)).toHaveAttribute('data-event-id', t1.eventID as string);
  await expect(v.tunnelRows.nth(1)).toHaveAttribute('data-event-id', t2.eventID as string);
  await expect(v.tunnelRows.nth(1)).toContainText('fd00::7');
  await expect(v.endpointRows).toHaveCount(1);
  await expect(v.endpointRows.first()).toContainText('create requested');
  await expect(v.fileStatuses).toHaveCount(1);
  await expect(v.fileStatuses.first()).toHaveAttribute('data-status', 'read');
});

test('malformed files get a clear per-file message and nothing breaks', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const v = new ViewerPage(page);
  await v.goto();
  const good = gzTrail([openTunnel('eice-0bbbbbbbbbbbbbbb2', '10.2.0.9', '22')]);
  const truncated = { name: 'truncated.json.gz', buffer: good.buffer.subarray(0, Math.floor(good.buffer.length / 2)) };
  const notJson = { name: 'notes.json', buffer: Buffer.from('this is not json at all') };
  const notCloudTrail = { name: 'package.json', buffer: Buffer.from('{"name":"x","version":"1.0.0"}') };
  await v.upload([truncated, notJson, notCloudTrail, good]);
  await expect(v.fileStatuses).toHaveCount(4);
  await expect(page.locator('[data-testid=file-status][data-status=rejected]')).toHaveCount(3);
  await expect(page.locator('[data-testid=file-status]', { hasText: 'truncated.json.gz' })).toContainText('truncated gzip');
  await expect(page.locator('[data-testid=file-status]', { hasText: 'notes.json' })).toContainText('not JSON');
  await expect(page.locator('[data-testid=file-status]', { hasText: 'package.json' })).toContainText('not a CloudTrail export');
  await expect(v.stat('tunnels')).toHaveText('1');
  expect(errors).toEqual([]);
});

test('the built-in sample loads with one click and fetches nothing but the engine', async ({ page, baseURL }) => {
  const v = new ViewerPage(page);
  await v.goto();
  // The first view's files load at start-up; the engine (the workers' script and module) on
  // the first use; nothing else goes out.
  await page.waitForLoadState('networkidle');
  const late: string[] = [];
  page.on('request', (r) => late.push(r.url()));
  await v.loadSample();
  await expect(v.stat('tunnels')).toHaveText('45');
  await expect(v.stat('failed-tunnels')).toHaveText('5');
  await expect(v.stat('endpoints')).toHaveText('3');
  await expect(v.tunnelRows).toHaveCount(45);
  await expect(v.endpointRows.first()).toBeVisible();
  expect(late.filter((u) => !ENGINE_FILES.some((f) => u === new URL(f, baseURL).href))).toEqual([]);
});

test('files dropped on the drop zone load like chosen ones', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  const text = JSON.stringify({ Records: [openTunnel('eice-0fffffffffffffff6', '10.6.0.1', '22')] });
  const transfer = await page.evaluateHandle((json) => {
    const dt = new DataTransfer();
    dt.items.add(new File([json], 'dropped.json', { type: 'application/json' }));
    return dt;
  }, text);
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
  await v.waitDone();
  await expect(v.stat('tunnels')).toHaveText('1');
  await expect(v.fileStatuses.first()).toContainText('dropped.json');
});
