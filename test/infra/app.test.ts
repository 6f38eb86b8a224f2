import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { createApp } from '#infra/app.ts';
import { inlineFunctions } from '#infra/nightshift-function.ts';
import { ConfigError, loadConfig } from '#shared/config/load.ts';
import { exampleConfig } from '../support/config.ts';
import { synthesize } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-infra-'));
const example = readFileSync('nightshift.config.yaml', 'utf8');
const broken = join(dir, 'broken.yaml');
writeFileSync(
  broken,
  example
    .replace('timeZone: Asia/Shanghai', 'timeZone: Mars/Olympus')
    .replace('rollupAt: "00:30"', 'rollupAt: "25:00"'),
);
const deep = join(dir, 'deep-formula.yaml');
writeFileSync(
  deep,
  example.replace('formula: distinct(userId of "Signed Up")', `formula: "${'('.repeat(5000)}1${')'.repeat(5000)}"`),
);
const inline = { functionFactory: inlineFunctions, hasHandler: () => true };

describe('the app and its config', () => {
  it('a broken config fails app construction with every problem named by its path', () => {
    const build = () => createApp({ context: { config: broken }, stack: inline });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/timeZone: expected an IANA time zone/);
    expect(build).toThrow(/jobs\.rollupAt: expected a time as "HH:MM"/);
  });

  it('`cdk synth` on a broken config prints what `nightshift validate` prints and exits 1', () => {
    const run = spawnSync(process.execPath, ['infra/app.ts'], {
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: broken }) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    const expected = (() => {
      try {
        loadConfig(broken);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(run.stderr.trim()).toBe(expected);
  });

  it('`cdk synth` on a config file that is not there names it and exits 1, without a stack trace', () => {
    const missing = join(dir, 'nope.yaml');
    const run = spawnSync(process.execPath, ['infra/app.ts'], {
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: missing }) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(`cannot read ${missing}: no such file`);
  });

  it('`cdk synth` on a formula nested 5,000 deep prints the formula problem with its path, not a stack overflow', () => {
    const run = spawnSync(process.execPath, ['infra/app.ts'], {
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: deep }) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('kpis[0].formula: at column 2001: the formula is longer than 2000 characters');
    expect(run.stderr.trim()).toBe(
      (() => {
        try {
          loadConfig(deep);
        } catch (error) {
          return (error as Error).message;
        }
      })(),
    );
  });

  it('a batch over 10 messages without a batching window is refused, naming the config path', () => {
    const config = exampleConfig();
    config.ingest.batchWindowSeconds = 0;
    expect(() => synthesize({ config })).toThrow(/ingest\.batchWindowSeconds: must be at least 1/);
  });
});

describe('cdk-nag in the app', () => {
  it('the example config synthesizes under AwsSolutionsChecks', () => {
    const { app } = createApp({
      context: { config: 'nightshift.config.yaml' },
      outdir: join(dir, 'ok'),
      stack: inline,
    });
    expect(() => app.synth()).not.toThrow();
  });

  it('an unacknowledged finding fails the synthesis', () => {
    const { app, stack } = createApp({
      context: { config: 'nightshift.config.yaml' },
      outdir: join(dir, 'bad'),
      stack: inline,
    });
    new sqs.Queue(stack, 'PlainQueue');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});

describe('functions that have not landed yet', () => {
  it('optional jobs and send-email are wired only once their handler file exists', () => {
    const { stack, template } = synthesize({ hasHandler: () => false });
    expect(Object.keys(stack.jobs.functions)).toEqual(['rollup-kpis']);
    expect(stack.delivery.sendEmail).toBeUndefined();
    expect(stack.delivery.emailFeedback).toBeUndefined();
    // ingest-events, rollup-kpis and http-ingest are always there.
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    // The delivery queue exists either way: jobs send to it before send-email lands.
    template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
  });
});
