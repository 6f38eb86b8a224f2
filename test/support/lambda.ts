// Triggers and a context as Lambda hands them to a handler, for tests that call handlers directly.
import type { Context, SQSEvent } from 'aws-lambda';

/** An SQS batch with the attributes SQS always sets; `sentAt` is the SentTimestamp (epoch ms) of every record. */
export function sqsEvent(bodies: readonly string[], options: { sentAt: number; queue?: string }): SQSEvent {
  const queue = options.queue ?? 'events';
  return {
    Records: bodies.map((body, i) => ({
      messageId: `sqs-${i}`,
      receiptHandle: `r-${i}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(options.sentAt),
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: String(options.sentAt + 5),
      },
      messageAttributes: {},
      md5OfBody: 'd41d8cd98f00b204e9800998ecf8427e',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
      awsRegion: 'us-east-1',
    })),
  };
}

/** The context of one invocation of `functionName`. */
export function lambdaContext(functionName: string, requestId = 'c6af9ac6-7b61-11e6-9a41-93e812345678'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/22/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
