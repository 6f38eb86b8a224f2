import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { actionsOf, logicalId, roleStatements, synthesize } from './support.ts';

describe('the raw event archive', () => {
  const { stack, template } = synthesize();
  const archive = stack.jobs.archive;
  const bucketId = logicalId(archive.bucket);

  it('is an encrypted, private, retained bucket whose events move to cheaper classes and expire after the retention', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: Match.objectLike({
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        }),
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Prefix: 'events/',
              ExpirationInDays: 401,
              Transitions: [
                { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
                { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
              ],
            }),
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          ]),
        },
      }),
    });
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('rollup-kpis gets its name and may get and put objects under events/ only, and list that prefix', () => {
    const fn = stack.jobs.functions['rollup-kpis']!;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ARCHIVE_BUCKET: { Ref: bucketId } }) },
      Description: Match.stringLikeRegexp('archives closed days'),
    });
    const s3 = roleStatements(template, logicalId(fn.role)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('s3:')),
    );
    expect(s3.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(JSON.stringify(s3)).toContain('/events/*');
    expect(s3.find((s) => actionsOf(s).includes('s3:ListBucket'))?.Condition).toEqual({
      StringLike: { 's3:prefix': ['events/*'] },
    });
  });

  it('no other function can reach it', () => {
    for (const [name, fn] of Object.entries(stack.jobs.functions)) {
      if (name === 'rollup-kpis') continue;
      const s3 = roleStatements(template, logicalId(fn.role)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('s3:')),
      );
      expect(s3, name).toEqual([]);
    }
  });
});
