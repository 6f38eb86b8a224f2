// API Gateway (HTTP API) -> the Segment-compatible ingestion API: the same request handling as `nightshift serve`,
// with write keys from Secrets Manager and accepted events sent to the events queue (ingest-events stores them).
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpApiRequest, nightshiftHandler } from '#functions/middleware.ts';
import { handleSegmentRequest } from '#shared/events/http-api.ts';
import { fromApiGateway, httpIngestRuntime, recordRequest } from './wiring.ts';

export const handler = nightshiftHandler(HttpApiRequest, async (event): Promise<APIGatewayProxyStructuredResultV2> => {
  const { deps, obs } = httpIngestRuntime();
  return obs.invocation(async () => {
    const response = await handleSegmentRequest(fromApiGateway(event), deps);
    recordRequest(obs, response.summary);
    return { statusCode: response.status, headers: response.headers, body: response.body };
  }, event.requestContext.requestId);
});
