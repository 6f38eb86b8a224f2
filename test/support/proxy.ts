// An HTTP proxy in front of a local AWS stand-in (the local SES, DynamoDB Local): it forwards every request unchanged
// and keeps what the test reads from each, so a test can check what the code really sent.
import { createServer, type IncomingHttpHeaders, request } from 'node:http';

/** One request as it reached the proxy. */
export interface ProxiedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingProxy<T> {
  url: string;
  /** What `read` made of each request so far, in the order they arrived (requests it skipped left out). */
  requests: T[];
  close(): Promise<void>;
}

/** The form fields of a query-API body (how SES is called). */
export function formFields({ body }: ProxiedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * Sits in front of `target`. By default keeps each request's form fields (the SES query API's body); with `read`,
 * keeps what it returns for each request, and nothing for a request it returns undefined for.
 */
export function recordingProxy(target: string): Promise<RecordingProxy<Record<string, string>>>;
export function recordingProxy<T>(
  target: string,
  read: (request: ProxiedRequest) => T | undefined,
): Promise<RecordingProxy<T>>;
export async function recordingProxy(
  target: string,
  read: (request: ProxiedRequest) => unknown = formFields,
): Promise<RecordingProxy<unknown>> {
  const requests: unknown[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const kept = read({ headers: req.headers, body: body.toString('utf8') });
      if (kept !== undefined) requests.push(kept);
      const forward = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
