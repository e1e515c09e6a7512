// The one-file build (`dist/tunnelscope.html`, written by `cargo xtask build`), opened from
// file:// as on an air-gapped laptop: the sample and a dropped file load with the CLI's counts,
// filters work, the workers run, and nothing is requested but the page's own blob: and data: URLs.
import { test, expect } from './test';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ViewerPage } from './viewer_page';
import { openTunnel, record } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');
const SINGLE = path.join(ROOT, 'dist', 'tunnelscope.html');

function cliStats(files: string[]): any {
  const out = execFileSync('cargo', ['run', '--quiet', '-p', 'tunnelscope-cli', '--', 'stats', '--json', ...files], {
    cwd: ROOT,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString());
}

test('tunnelscope.html works from file:// with no server and no request', async ({ page }, info) => {
  test.skip(info.project.name !== 'root', 'one file, one origin: the sub-path project adds nothing');
  const html = fs.readFileSync(SINGLE);
  // Its published checksum is its own.
  const sum = fs.readFileSync(`${SINGLE}.sha256`, 'utf8').split(/\s+/)[0];
  expect(crypto.createHash('sha256').update(html).digest('hex')).toBe(sum);
  // Nothing in it names another file.
  expect(html.toString()).not.toMatch(/(src|href)="(?!data:)[^"]+"/);

  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const v = new ViewerPage(page);
  await page.goto(`file://${SINGLE}`);
  await expect(v.status).toHaveAttribute('data-state', 'idle');
  await v.loadSample();
  await expect(v.stat('tunnels')).toHaveText('45');
  await v.filter('user:alice');
  await v.waitDone();
  await expect(v.tunnelRows.first()).toBeVisible();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-single-'));
  const file = path.join(dir, 'trail.json');
  const create = record('CreateInstanceConnectEndpoint', {
    requestParameters: { CreateInstanceConnectEndpointRequest: { SubnetId: 'subnet-1' } },
  });
  fs.writeFileSync(file, JSON.stringify({ Records: [openTunnel('eice-0bbbbbbbbbbbbbbb1', '10.2.0.9', '22'), create, { eventName: 'Broken' }] }));
  // A fresh page (a dropped file adds to what is loaded), without the filter the URL kept.
  await page.goto(`file://${SINGLE}`);
  await expect(v.status).toHaveAttribute('data-state', 'idle');
  await v.filter('');
  await v.upload([file]);
  const cli = cliStats([file]);
  await expect(v.stat('events')).toHaveText(String(cli.records.loaded));
  await expect(v.stat('tunnels')).toHaveText(String(cli.tunnels.total));
  await expect(v.stat('endpoints')).toHaveText(String(cli.endpoints.length));
  await expect(v.fileStatuses.first()).toHaveAttribute('data-invalid', String(cli.records.invalid));

  const outside = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && u !== `file://${SINGLE}`);
  expect(outside).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});
