// The page equals the CLI, for every shape and every worker path (issue 17). One file of every
// export shape in formats.md, and of every kind of skipped and rejected file, is dropped alone
// (the owner parses it; an idle helper reads its bytes), with three other files so that a parse
// helper parses it (its result reaches the owner as postcard bytes), and all together (with the
// machine's workers and with four); then the same for ../shared/corpus. Per file: status, reason,
// shape, loaded / duplicates / invalid; overall: every counter the page shows. All must equal
// `tunnelscope stats --json` on the same files under the same names. Which worker parses which
// file is read from the page's own Load request to the owner, not assumed.
import { test, expect, Page } from './test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { ViewerPage } from './viewer_page';
import { bigTrail, corpus, openTunnel, record } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'crates/tunnelscope-core/tests/fixtures');

// ---------------------------------------------------------------------------------------------
// Inputs

type Input = { name: string; bytes: Buffer };

function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

const gz = (b: Buffer | string) => zlib.gzipSync(typeof b === 'string' ? Buffer.from(b) : b);

/** A zip archive (deflated members; `flags` / `method` patched in for the unsupported kinds). */
function zip(members: [string, Buffer | string][], opts: { flags?: number; method?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of members) {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const packed = zlib.deflateRawSync(data);
    const fname = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(opts.flags ?? 0, 6);
    local.writeUInt16LE(opts.method ?? 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fname.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(opts.flags ?? 0, 8);
    dir.writeUInt16LE(opts.method ?? 8, 10);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(packed.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(fname.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, fname, packed);
    central.push(dir, fname);
    offset += local.length + fname.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const S3_KEY = 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0815Z_AbCdEfGh12345678.json.gz';
const DIGEST_KEY = 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_example-trail_us-east-1_20261001T080000Z.json.gz';
const LAKE_KEY = 'AWSLogs/111122223333/CloudTrail-Lake/Query/2026/10/03/0a1b2c3d-0000-4000-8000-00000000abcd/result_1.csv.gz';

/** Issue 22's fixtures: lookup-events lines, Splunk, Cribl, Elastic, Logstash, OCSF, wrappers
 * that hold no CloudTrail (SNS, GuardDuty), and reused event IDs. */
const ISSUE22 = [
  'lookup-events-lines.jsonl',
  'splunk-export.json',
  'splunk-export.csv',
  'cribl-capture.json',
  'elastic-search.json',
  'elastic-dump.ndjson',
  'logstash-records.ndjson',
  'security-lake-ocsf.ndjson',
  'sns-delivery-notification.json',
  'eventbridge-guardduty.json',
  'id-collisions.json',
];

/** One file of every shape of formats.md and every kind of skipped and rejected file. */
function shapeFiles(): Input[] {
  const trail = fixture('trail-compact.json');
  const oneLine = Buffer.from(trail.toString().trimEnd());
  const ndjson = fixture('records.ndjson');
  const lookup = fixture('lookup-events.json');
  const cloudwatch = fixture('cloudwatch-filter-log-events.json');
  const athena = fixture('athena-eice-result.csv');
  const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lookup.toString(), 'utf16le')]);
  const badUtf8 = Buffer.from(fixture('single-record.json'));
  badUtf8[20] = 0xff;
  const truncatedGz = gz(trail).subarray(0, Math.floor(gz(trail).length / 2));
  const corruptGz = Buffer.from(gz(trail));
  corruptGz[corruptGz.length - 6] ^= 0xff; // the CRC
  const logsZip = zip([
    ['logs/trail.json', trail],
    [S3_KEY.slice(8), gz(ndjson)],
    ['digest/x.json', fixture('digest.json')],
    ['__MACOSX/logs/._trail.json', Buffer.from('\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ', 'latin1')],
  ]);
  // Members that a helper once could not hand to the owner (issue 17, defect 1).
  const helperShapesZip = zip([
    ['lookup-events.json', lookup],
    ['cloudwatch.json', cloudwatch],
    ['athena.csv', athena],
    ['event-history.csv', fixture('console-event-history.csv')],
  ]);
  const truncatedZip = logsZip.subarray(0, logsZip.length - 30);
  const bigRecord = JSON.stringify({
    Records: [{ eventTime: '2026-10-01T00:00:00Z', eventName: 'X', requestParameters: { blob: 'a'.repeat(1 << 20) } }],
  });
  const firstLine = ndjson.toString().split('\n')[0];
  const panther = {
    ...openTunnel('eice-0c1d2e3f405162738', '10.9.0.7', '22'),
    eventTime: '2026-10-01 09:58:59.000000000',
    p_event_time: '2026-10-01 09:58:59.000000000',
    p_log_type: 'AWS.CloudTrail',
    p_any_ip_addresses: ['198.51.100.7'],
  };
  const wazuh = { integration: 'aws', aws: { ...record('DescribeInstanceConnectEndpoints'), readOnly: 'true', source: 'cloudtrail', aws_account_id: '111122223333' } };
  const files: Input[] = [
    // Read: S3 trail files (compact, pretty, gzipped under AWSLogs/), console JSON, Insights.
    { name: 'trail-compact.json', bytes: trail },
    { name: 'trail-pretty.json', bytes: fixture('trail-pretty.json') },
    { name: S3_KEY, bytes: gz(trail) },
    { name: 'event_history.json', bytes: oneLine },
    { name: 'empty-trail.json', bytes: Buffer.from('{"Records":[]}') },
    { name: 'insight.json', bytes: fixture('insight.json') },
    // Console Event-history CSV, lookup-events (also as PowerShell writes it: UTF-16 with a BOM).
    { name: 'event_history.csv', bytes: fixture('console-event-history.csv') },
    { name: 'lookup-events.json', bytes: lookup },
    { name: 'lookup-events-powershell.json', bytes: utf16le },
    // EventBridge: one envelope, an array of them, one per line.
    { name: 'eventbridge-one.json', bytes: fixture('eventbridge-one.json') },
    { name: 'eventbridge-array.json', bytes: fixture('eventbridge-array.json') },
    { name: 'eventbridge-lines.jsonl', bytes: fixture('eventbridge-lines.jsonl') },
    // CloudWatch Logs: filter-log-events, get-log-events, a subscription payload (plain and
    // gzipped as Firehose delivers it), lines.
    { name: 'cloudwatch-filter-log-events.json', bytes: cloudwatch },
    { name: 'cloudwatch-get-log-events.json', bytes: fixture('cloudwatch-get-log-events.json') },
    { name: 'cloudwatch-subscription.json', bytes: fixture('cloudwatch-subscription.json') },
    { name: 'firehose-subscription.gz', bytes: gz(fixture('cloudwatch-subscription.json')) },
    { name: 'cloudwatch-lines.log', bytes: fixture('cloudwatch-lines.log') },
    // Athena / Lake: CSV (plain, gzipped, struct renderings), GetQueryResults JSON, a Lake result.
    { name: 'athena-eice-result.csv', bytes: athena },
    { name: 'athena-result.csv.gz', bytes: gz(athena) },
    { name: 'athena-struct-rendering.csv', bytes: fixture('athena-struct-rendering.csv') },
    { name: 'lake-get-query-results.json', bytes: fixture('lake-get-query-results.json') },
    { name: LAKE_KEY, bytes: gz(fixture('lake-result_1.csv')) },
    // NDJSON (LF, CRLF, with a broken line), arrays, single records (AWS doc, Panther, Wazuh).
    { name: 'records.ndjson', bytes: ndjson },
    { name: 'records-crlf.ndjson', bytes: Buffer.from(ndjson.toString().replace(/\r?\n/g, '\r\n')) },
    { name: 'bad-line.ndjson', bytes: Buffer.concat([ndjson, Buffer.from('{"eventTime": "2026-10-01T00:00:00Z", "eventName": broken\n')]) },
    { name: 'records-array.json', bytes: fixture('records-array.json') },
    { name: 'single-record.json', bytes: fixture('single-record.json') },
    { name: 'aws-doc-opentunnel.json', bytes: fixture('aws-doc-opentunnel.json') },
    { name: 'panther-record.json', bytes: Buffer.from(JSON.stringify(panther, null, 2)) },
    { name: 'wazuh-record.json', bytes: Buffer.from(JSON.stringify(wazuh)) },
    // Issue 22: what SIEMs and pipelines export (hand-made fixtures, one per shape).
    ...ISSUE22.map((name) => ({ name, bytes: fixture(name) })),
    // zip archives: members are files of their own.
    { name: 'logs.zip', bytes: logsZip },
    { name: 'helper-shapes.zip', bytes: helperShapesZip },
    // Skipped: digests (by content and path), a Lake signature, a CloudWatch control message,
    // macOS metadata.
    { name: 'renamed-digest.json', bytes: fixture('digest.json') },
    { name: DIGEST_KEY, bytes: gz(fixture('digest.json')) },
    { name: 'result_sign.json', bytes: fixture('result_sign.json') },
    { name: 'cloudwatch-control.json', bytes: fixture('cloudwatch-control.json') },
    { name: '._trail.json', bytes: Buffer.from('\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ', 'latin1') },
    // Rejected, one of each kind.
    { name: 'empty.json', bytes: Buffer.alloc(0) },
    { name: 'blank.json', bytes: Buffer.from(' \n\t\r\n') },
    { name: 'empty.json.gz', bytes: gz('') },
    { name: 'notes.txt', bytes: Buffer.from('hello world\n') },
    { name: 'image.png', bytes: Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xff', 'latin1') },
    { name: 'not-an-export.csv', bytes: fixture('not-an-export.csv') },
    { name: 'empty-object.json', bytes: Buffer.from('{}') },
    { name: 'package.json', bytes: fixture('package.json') },
    { name: 'numbers.json', bytes: Buffer.from('[1, 2, 3]') },
    { name: 's3-notification.json', bytes: fixture('s3-notification.json') },
    {
      name: 'sqs.json',
      bytes: Buffer.from('{"Records":[{"messageId":"m1","receiptHandle":"r","body":"{\\"detail-type\\":\\"AWS API Call via CloudTrail\\"}","attributes":{},"eventSource":"aws:sqs"}]}'),
    },
    {
      name: 'eventbridge-other.json',
      bytes: Buffer.from('{"version":"0","id":"x","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"instance-id":"i-0example","state":"running"}}'),
    },
    { name: 'truncated.json', bytes: trail.subarray(0, Math.floor(trail.length / 2)) },
    { name: 'garbage.json', bytes: Buffer.from('{"Records": [}') },
    { name: 'bad-utf8.json', bytes: badUtf8 },
    { name: 'deep.json', bytes: Buffer.from(`{"Records":[${'['.repeat(100_000)}`) },
    { name: 'big-record.json', bytes: Buffer.from(bigRecord) },
    { name: 'big-line.ndjson', bytes: Buffer.from(`${firstLine}\n${bigRecord}\n`) },
    { name: 'truncated.json.gz', bytes: truncatedGz },
    { name: 'corrupt.json.gz', bytes: corruptGz },
    { name: 'bomb.json.gz', bytes: gz(Buffer.alloc(80 << 20, 0x20)) },
    { name: 'zip-in-gzip.gz', bytes: gz(logsZip) },
    { name: 'empty.zip', bytes: zip([]) },
    { name: 'truncated.zip', bytes: truncatedZip },
    { name: 'bomb.zip', bytes: zip([['big.json', Buffer.alloc(70 << 20, 0x20)]]) },
    { name: 'encrypted.zip', bytes: zip([['a.json', trail]], { flags: 1 }) },
    { name: 'bzip2.zip', bytes: zip([['a.json', trail]], { method: 12 }) },
  ];
  return files;
}

/** Companions sorted before any tested name ('!' sorts before every other first character): a big
 * trail (over 2 MiB, so read as a stream) that the owner parses, then two small files. Every
 * file after them goes to a helper: a helper's bytes stay below the owner's weighted ones. */
function companions(): Input[] {
  return [
    { name: '!companion-big.json', bytes: bigTrail(2.5) },
    { name: '!companion-small.ndjson', bytes: Buffer.from([record('DescribeInstances'), record('GetCallerIdentity')].map((r) => JSON.stringify(r)).join('\n') + '\n') },
    { name: '!companion-tunnel.json', bytes: Buffer.from(JSON.stringify(openTunnel('eice-0f0e0d0c0b0a09080', '10.8.0.8', '22'))) },
  ];
}

/** A work folder holding the files under their names (the CLI runs there on the same names). */
function workDir(inputs: Input[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnelscope-shapes-'));
  for (const f of inputs) {
    fs.mkdirSync(path.dirname(path.join(dir, f.name)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.name), f.bytes);
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// The CLI

let cliPath: string | undefined;

/** The CLI binary, built once (in CARGO_TARGET_DIR when set). */
function cli(): string {
  if (!cliPath) {
    const out = execFileSync('cargo', ['build', '--quiet', '-p', 'tunnelscope-cli', '--message-format=json'], {
      cwd: ROOT,
      maxBuffer: 256 << 20,
    });
    for (const line of out.toString().split('\n')) {
      if (!line.startsWith('{')) continue;
      const m = JSON.parse(line);
      if (m.reason === 'compiler-artifact' && m.target?.name === 'tunnelscope' && m.executable) cliPath = m.executable;
    }
    if (!cliPath) throw new Error('cargo build did not name the tunnelscope binary');
  }
  return cliPath;
}

type Detail = {
  file: string;
  status: string;
  reason: string;
  shape: string | null;
  loaded: number;
  duplicates: number;
  invalid: number;
  id_collisions: number;
};

/** `tunnelscope stats --json NAMES` run in `cwd`. */
function cliStats(cwd: string, names: string[]): any {
  const out = execFileSync(cli(), ['stats', '--json', ...names], { cwd, maxBuffer: 256 << 20 });
  return JSON.parse(out.toString());
}

// ---------------------------------------------------------------------------------------------
// The page

/** Before the page's scripts: keep every Load request the page sends to the owner (its names,
 * and which worker parses each), and, when asked, pretend to have `cores` cores. */
async function watchLoads(page: Page, cores?: number) {
  await page.addInitScript((cores) => {
    const w = window as any;
    w.__loads = [];
    if (cores) Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => cores, configurable: true });
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, msg: any, ...rest: any[]) {
      try {
        const req = msg && typeof msg.json === 'string' ? JSON.parse(msg.json) : null;
        if (req && req.Load) w.__loads.push({ names: req.Load.names, parsers: req.Load.parsers, pump: req.Load.pump ?? null });
      } catch {
        // not a request of ours
      }
      return (post as any).call(this, msg, ...rest);
    } as any;
  }, cores);
}

type Load = { names: string[]; parsers: number[]; pump: number | null };

/** What the page shows: every file's accounting and every counter. */
async function pageResults(page: Page) {
  const all = page.getByTestId('load-report-all');
  if (await all.count()) await all.click();
  const files: Detail[] = await page.getByTestId('file-status').evaluateAll((els) =>
    els.map((e) => ({
      file: e.getAttribute('data-file') ?? '(no data-file)',
      status: e.getAttribute('data-status') ?? '',
      reason: e.getAttribute('data-reason') ?? '',
      shape: e.getAttribute('data-shape') || null,
      loaded: Number(e.getAttribute('data-loaded')),
      duplicates: Number(e.getAttribute('data-duplicates')),
      invalid: Number(e.getAttribute('data-invalid')),
      id_collisions: Number(e.getAttribute('data-id-collisions')),
    })),
  );
  const text = async (id: string) => Number(await page.getByTestId(id).textContent());
  const acc = page.getByTestId('stat-accounting');
  const num = async (l: ReturnType<Page['getByTestId']>, a: string) => Number(await l.getAttribute(a));
  // The data sections are not shown when no event is loaded, nor when the events hold no EICE
  // activity (the page says so instead): their counts are then zero.
  const changes = page.getByTestId('endpoint-changes');
  const sectionsShown = (await changes.count()) > 0;
  const noEice = (await page.getByTestId('no-eice').count()) > 0;
  const change = async (a: string) => (sectionsShown ? num(changes, a) : 0);
  return {
    sectionsShown,
    noEice,
    files,
    counters: {
      'files.read': await num(acc, 'data-files-read'),
      'files.skipped': await num(acc, 'data-files-skipped'),
      'files.rejected': await num(acc, 'data-files-rejected'),
      'records.loaded': await num(acc, 'data-records-loaded'),
      'records.duplicates': await num(acc, 'data-records-duplicates'),
      'records.invalid': await num(acc, 'data-records-invalid'),
      events: await text('stat-events'),
      'tunnels.total': await text('stat-tunnels'),
      'tunnels.failed': await text('stat-failed-tunnels'),
      endpoints: await text('stat-endpoints'),
      principals: await text('stat-principals'),
      'endpoint_changes.create': await change('data-create'),
      'endpoint_changes.modify': await change('data-modify'),
      'endpoint_changes.delete': await change('data-delete'),
      'endpoint_changes.describe': await change('data-describe'),
    } as Record<string, number>,
    endpointIds: (await page.getByTestId('endpoint-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-endpoint-id') ?? ''))).sort(),
  };
}

/** The kind of a reason: its text before the first ':', numbers as N. */
const kind = (reason: string) => reason.split(':')[0].replace(/\d+/g, 'N').trim();

/** Every way the page differs from the CLI (empty when they agree). */
function differences(shown: Awaited<ReturnType<typeof pageResults>>, cliJson: any): string[] {
  const out: string[] = [];
  const want: Detail[] = cliJson.files_detail;
  const byName = new Map(shown.files.map((f) => [f.file, f]));
  for (const w of want) {
    const got = byName.get(w.file);
    byName.delete(w.file);
    if (!got) {
      out.push(`${w.file}: not in the page's load report (CLI: ${w.status})`);
      continue;
    }
    if (got.status !== w.status) out.push(`${w.file}: status ${got.status} (${got.reason}), CLI ${w.status} (${w.reason})`);
    if (kind(got.reason) !== kind(w.reason)) out.push(`${w.file}: reason kind "${kind(got.reason)}", CLI "${kind(w.reason)}"`);
    else if (got.reason !== w.reason) out.push(`${w.file}: reason "${got.reason}", CLI "${w.reason}"`);
    if (got.shape !== w.shape) out.push(`${w.file}: shape ${got.shape}, CLI ${w.shape}`);
    for (const k of ['loaded', 'duplicates', 'invalid', 'id_collisions'] as const) {
      if (got[k] !== w[k]) out.push(`${w.file}: ${k} ${got[k]}, CLI ${w[k]}`);
    }
  }
  for (const [name, f] of byName) out.push(`${name}: in the page's load report (${f.status}: ${f.reason}), not in the CLI's`);
  const c = cliJson;
  const expected: Record<string, number> = {
    'files.read': c.files.read,
    'files.skipped': c.files.skipped,
    'files.rejected': c.files.rejected,
    'records.loaded': c.records.loaded,
    'records.duplicates': c.records.duplicates,
    'records.invalid': c.records.invalid,
    events: c.records.loaded,
    'tunnels.total': c.tunnels.total,
    'tunnels.failed': c.tunnels.failed,
    endpoints: c.endpoints.length,
    principals: c.principals,
    'endpoint_changes.create': c.endpoint_changes.create,
    'endpoint_changes.modify': c.endpoint_changes.modify,
    'endpoint_changes.delete': c.endpoint_changes.delete,
    'endpoint_changes.describe': c.endpoint_changes.describe,
  };
  for (const [k, v] of Object.entries(expected)) {
    if (shown.counters[k] !== v) out.push(`counter ${k}: page ${shown.counters[k]}, CLI ${v}`);
  }
  const cliEice = c.tunnels.total + c.endpoint_changes.create + c.endpoint_changes.modify + c.endpoint_changes.delete + c.endpoint_changes.describe;
  if (shown.noEice && cliEice > 0) out.push(`the page says there is no EICE activity, CLI ${cliEice} tunnels and endpoint calls`);
  if (!shown.sectionsShown && !shown.noEice && c.records.loaded > 0) out.push(`no data sections shown, CLI ${c.records.loaded} events loaded`);
  if (!shown.sectionsShown && shown.noEice !== (c.records.loaded > 0 && cliEice === 0)) {
    out.push(`no-EICE notice ${shown.noEice ? 'shown' : 'missing'}, CLI ${c.records.loaded} events, ${cliEice} EICE`);
  }
  if (JSON.stringify(shown.endpointIds) !== JSON.stringify(c.endpoints)) {
    out.push(`endpoint cards ${JSON.stringify(shown.endpointIds)}, CLI endpoints ${JSON.stringify(c.endpoints)}`);
  }
  return out;
}

/** Drops `names` (files in `dir`) on a fresh page, checks it against the CLI, and returns the
 * page's Load request (names in path order and the worker parsing each). */
async function dropAndCompare(page: Page, dir: string, names: string[], opts: { cores?: number } = {}): Promise<Load> {
  await watchLoads(page, opts.cores);
  const v = new ViewerPage(page);
  await v.goto();
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(Math.min(cores, 4), 'the page runs at least one parse helper').toBeGreaterThan(1);
  await v.upload(names.map((name) => ({ name, buffer: fs.readFileSync(path.join(dir, name)) })));
  const loads: Load[] = await page.evaluate(() => (window as any).__loads);
  expect(loads, 'one Load request reached the owner').toHaveLength(1);
  expect([...loads[0].names].sort()).toEqual([...names].sort());
  const diffs = differences(await pageResults(page), cliStats(dir, names));
  expect(diffs, `the page differs from \`tunnelscope stats --json\` on ${names.length} file(s)`).toEqual([]);
  return loads[0];
}

const parserOf = (load: Load, name: string) => load.parsers[load.names.indexOf(name)];

/** The parse path does not depend on the URL the site is served from: the root project covers
 * it (the sub-path one would double a long spec for nothing). */
const rootOnly = () => test.skip(test.info().project.name !== 'root', 'the root project covers it');

// ---------------------------------------------------------------------------------------------
// Every shape

const shapes = shapeFiles();
const extra = companions();
let shapesDir = '';

test.describe('every export shape: the page equals the CLI', () => {
  test.beforeEach(rootOnly);
  test.beforeAll(() => {
    shapesDir = workDir([...shapes, ...extra]);
    cli();
  });
  test.afterAll(() => fs.rmSync(shapesDir, { recursive: true, force: true }));

  test('the names are distinct and sort after the companions', () => {
    const names = shapes.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) for (const c of extra) expect(c.name < n, `${c.name} < ${n}`).toBe(true);
  });

  for (const shape of shapes) {
    test(`${shape.name} alone (parsed by the owner)`, async ({ page }) => {
      const load = await dropAndCompare(page, shapesDir, [shape.name]);
      expect(load.parsers).toEqual([0]);
    });

    test(`${shape.name} with three other files (parsed by a helper)`, async ({ page }) => {
      const names = [...extra.map((c) => c.name), shape.name];
      const load = await dropAndCompare(page, shapesDir, names);
      expect(parserOf(load, shape.name), `${shape.name} is parsed by a helper`).toBeGreaterThan(0);
      expect(parserOf(load, extra[0].name), 'the big companion is parsed by the owner').toBe(0);
    });
  }

  test('all together', async ({ page }) => {
    const load = await dropAndCompare(page, shapesDir, shapes.map((s) => s.name));
    expect(new Set(load.parsers).size, 'the owner and a helper both parse').toBeGreaterThan(1);
  });

  test('all together with four workers', async ({ page }) => {
    const load = await dropAndCompare(page, shapesDir, shapes.map((s) => s.name), { cores: 4 });
    expect(new Set(load.parsers)).toEqual(new Set([0, 1, 2, 3]));
  });

  test('all together, every one parsed by a helper', async ({ page }) => {
    const names = [extra[0].name, ...shapes.map((s) => s.name)];
    const load = await dropAndCompare(page, shapesDir, names);
    for (const s of shapes) expect(parserOf(load, s.name), s.name).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 22, as a person sees it: each SIEM or pipeline file read, with its shape, its records
// and their reasons in the load report, the collision note, and the tunnels in the table.

test('SIEM and pipeline exports: read, each with its shape, reasons and notes', async ({ page }) => {
  const v = new ViewerPage(page);
  await v.goto();
  await v.upload(ISSUE22.map((name) => ({ name, buffer: fixture(name) })));
  const all = page.getByTestId('load-report-all');
  if (await all.count()) await all.click();
  const row = (name: string) => page.locator(`[data-testid="file-status"][data-file="${name}"]`);
  const expected: [string, string, string][] = [
    ['lookup-events-lines.jsonl', 'read', 'LookupEvents'],
    ['splunk-export.json', 'read', 'Splunk'],
    ['splunk-export.csv', 'read', 'Splunk'],
    ['cribl-capture.json', 'read', 'Cribl'],
    ['elastic-search.json', 'read', 'Elastic'],
    ['elastic-dump.ndjson', 'read', 'Elastic'],
    ['logstash-records.ndjson', 'read', 'Ndjson'],
    ['security-lake-ocsf.ndjson', 'read', 'Ocsf'],
    ['id-collisions.json', 'read', 'TrailRecords'],
  ];
  for (const [name, status, shape] of expected) {
    await expect(row(name), name).toBeVisible();
    await expect(row(name)).toHaveAttribute('data-status', status);
    await expect(row(name)).toHaveAttribute('data-shape', shape);
  }
  await expect(row('sns-delivery-notification.json')).toHaveAttribute('data-status', 'rejected');
  await expect(row('sns-delivery-notification.json')).toContainText('SNS notification of a CloudTrail delivery');
  await expect(row('eventbridge-guardduty.json')).toContainText('GuardDuty Finding');
  await expect(row('elastic-dump.ndjson')).toContainText('preserve_original_event');
  await expect(row('security-lake-ocsf.ndjson')).toContainText('not API Activity (6003)');
  await expect(row('id-collisions.json').getByTestId('file-note')).toContainText('reuses an event ID');
  await expect(row('id-collisions.json')).toHaveAttribute('data-id-collisions', '1');
  // 13 tunnels from every shape, the OCSF one failed on port 3389, in the tunnels table.
  await expect(page.getByTestId('stat-tunnels')).toHaveText('13');
  await expect(page.getByTestId('stat-failed-tunnels')).toHaveText('1');
  await expect(page.getByTestId('stat-accounting')).toHaveAttribute('data-records-loaded', '15');
  // The OCSF tunnel's detail says what it was read from and what OCSF did not keep.
  await page.locator('[data-testid="tunnel-row"][data-event-id="22222222-aaaa-4bbb-8ccc-000000000001"]').first().click();
  const readFrom = page.getByTestId('detail-read-from');
  await expect(readFrom).toBeVisible();
  await expect(readFrom).toHaveAttribute('data-from', 'ocsf');
  await expect(readFrom).toContainText('OCSF (Amazon Security Lake)');
  await expect(readFrom).toContainText('responseElements');
  const cliJson = cliStats(FIXTURES, ISSUE22);
  expect(differences(await pageResults(page), cliJson)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// The third-party corpus (../shared/corpus, read in place through a link, never copied)

function corpusNames(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(corpus, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(`corpus/${r}`);
    }
  };
  if (fs.existsSync(corpus)) walk('');
  return out.sort();
}

test.describe('../shared/corpus: the page equals the CLI', () => {
  const names = corpusNames();
  let dir = '';
  test.skip(names.length === 0 && !process.env.CI, 'corpus not present');
  test.beforeEach(rootOnly);
  const companion = '!companion-outweighs-corpus.json';
  test.beforeAll(() => {
    // `corpus` links to the corpus; a companion bigger than the whole corpus sits beside it and
    // sorts before it.
    const total = names.reduce((n, f) => n + fs.statSync(path.join(corpus, f.slice('corpus/'.length))).size, 0);
    dir = workDir([{ name: companion, bytes: bigTrail(total / 1e6 + 0.5) }]);
    fs.symlinkSync(corpus, path.join(dir, 'corpus'));
    cli();
  });
  test.afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every file together', async ({ page }) => {
    expect(names.length).toBeGreaterThan(100);
    await dropAndCompare(page, dir, names);
  });

  test('every file together with four workers', async ({ page }) => {
    await dropAndCompare(page, dir, names, { cores: 4 });
  });

  test('every file parsed by a helper', async ({ page }) => {
    const total = names.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    expect(fs.statSync(path.join(dir, companion)).size, 'the owner\'s companion outweighs the corpus').toBeGreaterThan(total);
    const load = await dropAndCompare(page, dir, [companion, ...names]);
    expect(parserOf(load, companion)).toBe(0);
    const onOwner = names.filter((n) => parserOf(load, n) === 0);
    expect(onOwner, 'corpus files parsed by the owner').toEqual([]);
  });

  // Each top-level folder alone: its files dedupe only against each other.
  for (const top of [...new Set(names.map((n) => n.split('/').slice(0, 2).join('/')))]) {
    test(`${top} alone`, async ({ page }) => {
      await dropAndCompare(page, dir, names.filter((n) => n === top || n.startsWith(`${top}/`)));
    });
  }
});
