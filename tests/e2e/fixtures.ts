// Test inputs: the corpus' AWS documentation example, and synthetic trails built here.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export const corpus = path.resolve(__dirname, '../../../shared/corpus');
export const docOpenTunnel = path.join(corpus, 'awsdocs-ec2-user-guide/log-ec2-instance-connect-endpoint-using-cloudtrail__OpenTunnel.json');

let counter = 0;
function uuid(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

/** The engine's files (the workers' loader, script and module), relative to the site: fetched on
 * the page's first load or a sign of one (issue 23), never with the first view. */
export const ENGINE_FILES = ['worker_loader.js', 'worker.js', 'worker_bg.wasm'];

export function record(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    eventVersion: '1.11',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/tester', accountId: '111122223333', userName: 'tester' },
    eventTime: new Date(Date.UTC(2026, 9, 1, 8, 0, 0) + counter * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: name === 'OpenTunnel' ? 'ec2-instance-connect.amazonaws.com' : 'ec2.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.1 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6 exec-env/CloudShell',
    requestParameters: {},
    responseElements: null,
    requestID: uuid(counter + 1_000_000),
    eventID: uuid(counter),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    ...extra,
  };
}

export function openTunnel(endpoint: string, ip: string, port: string, extra: Record<string, unknown> = {}) {
  return record('OpenTunnel', {
    requestParameters: { instanceConnectEndpointId: endpoint, remotePort: port, privateIpAddress: ip, maxTunnelDuration: '3600' },
    ...extra,
  });
}

/** A gzipped S3 trail file `{"Records":[...]}` with its AWSLogs path. */
export function gzTrail(records: unknown[]): { name: string; buffer: Buffer } {
  return {
    name: '111122223333_CloudTrail_us-east-1_20261001T0805Z_AbCdEfGh12345678.json.gz',
    buffer: zlib.gzipSync(Buffer.from(JSON.stringify({ Records: records }))),
  };
}

/** About `mb` megabytes of realistic records, ~0.5 % of them tunnels. */
export function bigTrail(mb: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  let i = 0;
  const names = ['DescribeInstances', 'GetObject', 'AssumeRole', 'Decrypt', 'ListBuckets', 'GetCallerIdentity', 'PutObject'];
  while (size < mb * 1_000_000) {
    i += 1;
    const rec = i % 200 === 0
      ? openTunnel('eice-0123456789abcdef0', `10.0.${i % 250}.${i % 199}`, '22')
      : record(names[i % names.length], { requestParameters: { bucketName: `bucket-${i % 97}`, key: `logs/ünïcødé/${i}.txt`, note: 'quote " and backslash \\ escaped' } });
    const s = JSON.stringify(rec);
    parts.push(s);
    size += s.length + 1;
  }
  return Buffer.from(`{"Records":[${parts.join(',')}]}`);
}
