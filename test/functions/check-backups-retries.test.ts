// check-backups retries an AWS call in one layer: a DynamoDB endpoint that always answers "throttled" (a local HTTP
// server, counting requests) gets SDK_MAX_ATTEMPTS requests for one check call, not the SDK's attempts times the
// checks' own.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkClients, SDK_MAX_ATTEMPTS } from '#functions/check-backups/handler.ts';
import { describeLiveTable } from '#shared/inspection/aws.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';

let server: Server;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'slow down' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', `http://127.0.0.1:${port}`);
  vi.stubEnv('AWS_REGION', LOCAL_AWS.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_AWS.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_AWS.credentials.secretAccessKey);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => server.close(resolve));
});

describe('check-backups retries', () => {
  it('the SDK makes every attempt and the checks add none of their own', async () => {
    const clients = checkClients((c) => c);

    expect(await clients.dynamodb.config.maxAttempts()).toBe(SDK_MAX_ATTEMPTS);
    expect(await clients.backup.config.maxAttempts()).toBe(SDK_MAX_ATTEMPTS);
    expect(clients.retry.attempts).toBe(1);
  });

  it('a call that stays throttled is sent SDK_MAX_ATTEMPTS times in all, then fails', async () => {
    const { dynamodb, retry } = checkClients((c) => c);
    requests = 0;

    await expect(describeLiveTable(dynamodb, 'orders', retry)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(requests).toBe(SDK_MAX_ATTEMPTS);
  }, 60_000);
});
