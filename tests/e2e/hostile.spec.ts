// Hostile input (issue 18) through the real file input: files made to exhaust the engine's
// memory each end with a file status and a reason, the engine keeps working (a following load of
// the sample succeeds), and an engine that stops anyway is replaced by a fresh one on the next
// load, with a plain message. The files are written to a temporary folder (Playwright cannot
// take buffers over 50 MB inline), the same kinds and sizes as the CLI's tests/hostile.rs runs
// (the tiny records at the full counts here: the release build is fast enough).
import { test, expect } from './test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { ViewerPage } from './viewer_page';

let dir = '';
const file = (name: string) => path.join(dir, name);

/** A zip archive of one deflated member of `mib` MiB of zeros, from repeated sync-flushed
 * pieces (a valid deflate stream of any length); its CRC is wrong, which only the end shows. */
function zipOfZeros(name: string, mib: number): Buffer {
  const piece = zlib.deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const data = Buffer.concat([...Array(mib).fill(piece), zlib.deflateRawSync(Buffer.alloc(0))]);
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(mib * 2 ** 20, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(mib * 2 ** 20, 24);
  central.writeUInt16LE(n.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + n.length, 12);
  end.writeUInt32LE(local.length + n.length + data.length, 16);
  return Buffer.concat([local, n, data, central, n, end]);
}

test.beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-hostile-'));
  // 8 million `{}` as a JSON array (24 MB), 10 million as NDJSON lines (30 MB).
  fs.writeFileSync(file('array.json'), '[' + '{},'.repeat(8_000_000 - 1) + '{}]');
  fs.writeFileSync(file('lines.ndjson'), '{}\n'.repeat(10_000_000));
  // 10 GiB of zeros as concatenated gzip members of 1 MiB each (~10.8 MB).
  const member = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  fs.writeFileSync(file('zeros.json.gz'), Buffer.concat(Array(10 << 10).fill(member)));
  fs.writeFileSync(file('zeros.zip'), zipOfZeros('zeros.json', 4095));
});

test.afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const cases: [string, string, string, RegExp][] = [
  ['8 million {} as a JSON array', 'array.json', 'array.json', /JSON, but the JSON array holds no CloudTrail records/],
  ['10 million {} as NDJSON lines', 'lines.ndjson', 'lines.ndjson', /JSON, but not a CloudTrail export \(top-level keys: none\)/],
  ['a gzip of 10 GB of zeros', 'zeros.json.gz', 'zeros.json.gz', /gzip expands beyond \d+ bytes .*decompression bomb/],
  ['a zip member of 4 GB of zeros', 'zeros.zip', 'zeros.zip!/zeros.json', /zip archive expands beyond \d+ bytes .*decompression bomb/],
];

for (const [what, name, shown, reason] of cases) {
  test(`${what} is rejected with a reason, and the sample loads after it`, async ({ page }) => {
    const v = new ViewerPage(page);
    await v.goto();
    await v.upload([file(name)]);
    await expect(v.fileStatuses).toHaveCount(1);
    const status = v.fileStatuses.first();
    await expect(status).toHaveAttribute('data-status', 'rejected');
    await expect(status).toContainText(shown);
    await expect(status.locator('.load-report__reason')).toHaveText(reason);
    await expect(page.locator('.status-bar__error')).toHaveCount(0);
    await v.loadSample();
    await expect(v.stat('events')).not.toHaveText('0');
    await expect(v.tunnelRows.first()).toBeVisible();
  });
}

// A worker that stops is simulated by an uncaught error thrown in it (what an out-of-memory
// abort or a panic is to the page). The pool's error handler marks it handled, so nothing reaches
// the console and the shared fixture's rule (no console or page error) holds here too.
test('after the engine stops, the page says so and the next load starts a fresh engine', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await expect(v.stat('events')).not.toHaveText('0');
  // A long load, stopped in the middle by a crash of the engine's workers.
  await page.getByTestId('file-input').setInputFiles([file('lines.ndjson')]);
  await expect(v.status).toHaveAttribute('data-state', 'loading');
  expect(page.workers().length).toBeGreaterThan(0);
  for (const worker of page.workers()) {
    await worker.evaluate(() => {
      setTimeout(() => {
        throw new Error('simulated engine crash');
      });
    });
  }
  const error = page.locator('.status-bar__error');
  await expect(error).toContainText('The engine stopped');
  await expect(error).toContainText('simulated engine crash, while loading lines.ndjson');
  await expect(error).toContainText('Everything loaded was lost');
  await expect(v.status).toHaveAttribute('data-state', 'done');
  // What was lost is not shown as if it were still there.
  await expect(v.stat('events')).toHaveText('0');
  // The next load works, on a fresh engine.
  await v.loadSample();
  await expect(error).toHaveCount(0);
  await expect(v.stat('events')).not.toHaveText('0');
  await expect(v.tunnelRows.first()).toBeVisible();
});
