// The worker keeps raw JSON only for EICE-related events; the others are read again from the
// loaded File when the detail panel or the raw-records export needs them (plain and gzip files).
import { test, expect } from './test';
import * as fs from 'fs';
import * as zlib from 'zlib';
import { ViewerPage } from './viewer_page';
import { openTunnel, record } from './fixtures';

function unrelated(tag: string, n: number) {
  return Array.from({ length: n }, (_, i) =>
    record('GetObject', {
      eventSource: 's3.amazonaws.com',
      userAgent: `agent-${tag}-${i}`,
      requestParameters: { bucketName: `bucket-${tag}`, key: `k/${tag}/${i} "quoted" ünï`, marker: `${tag}-marker-${i}` },
    }),
  );
}

test('unrelated events show their raw record and export it, read again from plain and gzip files', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  const plain = [openTunnel('eice-0aaaaaaaaaaaaaaa1', '10.9.0.1', '22'), ...unrelated('plain', 30)];
  const gz = [openTunnel('eice-0aaaaaaaaaaaaaaa1', '10.9.0.2', '22'), ...unrelated('gz', 30)];
  // Pretty-printed, so a record's span is not a whole line of the file.
  const plainText = JSON.stringify({ Records: plain }, null, 2);
  await v.upload([
    { name: 'plain/trail.json', buffer: Buffer.from(plainText) },
    { name: 'gz/trail.json.gz', buffer: zlib.gzipSync(Buffer.from(JSON.stringify({ Records: gz }))) },
  ]);
  await expect(v.stat('events')).toHaveText('62');

  // The detail panel of an unrelated event from each file shows its own record.
  for (const tag of ['plain', 'gz']) {
    await v.filter(`event:GetObject agent-${tag}-7`);
    await v.waitDone();
    await expect(v.stat('events')).toHaveText('1');
    const row = page.getByTestId('event-row').first();
    // The virtualised row sits in a scrolled viewport; a DOM click selects it as a user's would.
    await row.dispatchEvent('click');
    const panel = page.getByTestId('detail-panel');
    await expect(panel).toContainText(`"marker": "${tag}-marker-7"`);
    await expect(panel).toContainText(`"bucketName": "bucket-${tag}"`);
  }

  // The raw-records export holds every matching record exactly as loaded.
  await v.filter('event:GetObject');
  await expect(v.stat('events')).toHaveText('60');
  const pending = page.waitForEvent('download');
  await page.getByTestId('export-records').click();
  const d = await pending;
  const doc = JSON.parse(fs.readFileSync((await d.path())!, 'utf8'));
  expect(doc.Records.length).toBe(60);
  const want = new Map([...plain, ...gz].map((r) => [r.eventID as string, r]));
  for (const r of doc.Records) {
    expect(r).toEqual(want.get(r.eventID));
  }
});
