// The raw event archive: an S3 bucket of day-partitioned, compressed JSON Lines (shared/events/day-archive.ts) that
// the nightly rollup writes and backfills read. Events live here for `ingest.eventRetentionDays`, moving to cheaper
// storage classes as they age; DynamoDB keeps them only while redeliveries and recomputes need them.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { ARCHIVE_PREFIX } from '#shared/events/day-archive.ts';
import type { NightshiftFunction } from './nightshift-function.ts';

/** Days in S3 Standard, then Standard-IA until GLACIER_IR_AFTER_DAYS (IA bills at least 30 days). */
const IA_AFTER_DAYS = 30;
const GLACIER_IR_AFTER_DAYS = 90;

export type ArchiveAccess = 'read' | 'readWrite';

export interface EventArchiveProps {
  readonly config: NightshiftConfig;
}

export class EventArchive extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: EventArchiveProps) {
    super(scope, id);
    const retention = props.config.ingest.eventRetentionDays;
    const transitions: s3.Transition[] = [];
    if (retention > IA_AFTER_DAYS + 30) {
      transitions.push({
        storageClass: s3.StorageClass.INFREQUENT_ACCESS,
        transitionAfter: Duration.days(IA_AFTER_DAYS),
      });
    }
    if (retention > GLACIER_IR_AFTER_DAYS + 30) {
      transitions.push({
        storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
        transitionAfter: Duration.days(GLACIER_IR_AFTER_DAYS),
      });
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // The only copy of old events: it outlives the stack, like the tables.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'raw-events',
          prefix: ARCHIVE_PREFIX,
          transitions,
          // A day's objects are rewritten when late events arrive, so age counts from the last write: a day a day past
          // the retention, as DynamoDB's TTL did.
          expiration: Duration.days(retention + 1),
        },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the rollup function reads and writes this bucket, under its own role; its job runs are recorded and ' +
        'CloudTrail logs the API calls, so server access logs (another bucket to keep) would add nothing.',
    });
  }

  /**
   * Grants `access` to the archived events (objects under `events/` only: get, and put for 'readWrite'; listing that
   * prefix) and sets the bucket's name in `ARCHIVE_BUCKET`.
   */
  bind(fn: NightshiftFunction, access: ArchiveAccess): void {
    const policy = new iam.Policy(fn, 'ArchiveAccess', {
      roles: [fn.role],
      statements: [
        new iam.PolicyStatement({
          actions: access === 'read' ? ['s3:GetObject'] : ['s3:GetObject', 's3:PutObject'],
          resources: [this.bucket.arnForObjects(`${ARCHIVE_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_PREFIX}*`] } },
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${ARCHIVE_PREFIX}*]`,
      reason:
        'Day archives are objects named by day and part under events/ (events/day=YYYY-MM-DD/part-K-of-N.jsonl.zst): ' +
        'the function reads and writes any day, and only under that prefix.',
    });
    fn.fn.addEnvironment('ARCHIVE_BUCKET', this.bucket.bucketName);
  }
}
