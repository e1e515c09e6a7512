// Files far bigger than one read chunk (tens of MB, plain and gzipped, with duplicates across them and an
// invalid record) load in the browser with exactly the counts the native CLI reports for them.
import { test, expect } from './test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { ViewerPage } from './viewer_page';
import { bigTrail } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');

/** `tunnelscope stats --json` on the files, through cargo (built already by the native tests). */
function cliStats(files: string[]): any {
  const out = execFileSync('cargo', ['run', '--quiet', '-p', 'tunnelscope-cli', '--', 'stats', '--json', ...files], {
    cwd: ROOT,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString());
}

test('files bigger than a slice load with the counts the CLI reports', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-cli-'));
  const big = bigTrail(20);
  expect(big.length).toBeGreaterThan(8 << 20);
  const plain = path.join(dir, 'big.json');
  fs.writeFileSync(plain, big);
  // The same records gzipped (all duplicates of the plain file's), and a trail of the first
  // thousand records again plus one without an event time (an invalid record).
  const gz = path.join(dir, 'copy.json.gz');
  fs.writeFileSync(gz, zlib.gzipSync(big));
  const first = JSON.parse(big.toString()).Records.slice(0, 1000);
  const broken = path.join(dir, 'broken.json');
  fs.writeFileSync(broken, JSON.stringify({ Records: [...first, { eventVersion: '1.11', eventName: 'NoTime' }] }));

  const cli = cliStats([plain, gz, broken]);
  expect(cli.records.duplicates).toBeGreaterThan(10_000);
  expect(cli.records.invalid).toBe(1);

  const v = new ViewerPage(page);
  await v.goto();
  await v.upload([plain, gz, broken]);
  await v.waitDone();
  await expect(v.stat('events')).toHaveText(String(cli.records.loaded));
  await expect(v.stat('tunnels')).toHaveText(String(cli.tunnels.total));
  await expect(v.stat('failed-tunnels')).toHaveText(String(cli.tunnels.failed));
  await expect(v.stat('endpoints')).toHaveText(String(cli.endpoints.length));
  await expect(v.stat('principals')).toHaveText(String(cli.principals));
  // Per-file accounting: every file read; loaded, duplicate and invalid records add up to the CLI's.
  const statuses = page.getByTestId('file-status');
  await expect(statuses).toHaveCount(3);
  await expect(page.locator('[data-testid=file-status][data-status=read]')).toHaveCount(cli.files.read);
  const sums = [0, 0, 0];
  for (const t of await statuses.allTextContents()) {
    const m = t.match(/(\d+) loaded, (\d+) duplicates, (\d+) invalid/);
    expect(m, t).not.toBeNull();
    [1, 2, 3].forEach((k) => (sums[k - 1] += Number(m![k])));
  }
  expect(sums).toEqual([cli.records.loaded, cli.records.duplicates, cli.records.invalid]);
});

test('a lone big file, read for the owner by a helper, loads with the counts the CLI reports, also when it must be read again whole', async ({ page }) => {
  // One file and two workers: the idle helper reads its bytes for the owner. A bare array of
  // records is not read as a stream (the owner reads the whole file again), nor is a truncated
  // trail file to its end.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-lone-'));
  const big = bigTrail(20);
  const plain = path.join(dir, 'big.json');
  fs.writeFileSync(plain, big);
  const array = path.join(dir, 'array.json');
  fs.writeFileSync(array, JSON.stringify(JSON.parse(big.toString()).Records));
  const cut = path.join(dir, 'cut.json');
  fs.writeFileSync(cut, big.subarray(0, Math.floor(big.length * 0.6)));
  const v = new ViewerPage(page);
  for (const file of [plain, array, cut]) {
    const cli = cliStats([file]);
    await v.goto();
    expect(await page.evaluate(() => navigator.hardwareConcurrency)).toBeGreaterThan(1);
    await v.upload([file]);
    await v.waitDone();
    await expect(v.stat('events')).toHaveText(String(cli.records.loaded));
    await expect(v.stat('tunnels')).toHaveText(String(cli.tunnels.total));
    for (const status of ['read', 'rejected']) {
      await expect(page.locator(`[data-testid=file-status][data-status=${status}]`)).toHaveCount(cli.files[status]);
    }
    if (cli.files.read === 1) {
      const text = await page.getByTestId('file-status').textContent();
      expect(text).toContain(`${cli.records.loaded} loaded, 0 duplicates, ${cli.records.invalid} invalid`);
    }
  }
});
