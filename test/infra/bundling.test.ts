import { describe, expect, it } from 'vitest';
import { functionSlice } from '#infra/function-config.ts';
import { dailyAt, hourlyAt, reportCron } from '#infra/nightly-jobs.ts';
import {
  bundlingOptions,
  esbuildOptions,
  handlerEntry,
  NODE_TARGET,
  REPO_ROOT,
  RUNTIME,
} from '#infra/nightshift-function.ts';
import { exampleConfig } from '../support/config.ts';

describe('bundling', () => {
  const config = exampleConfig();

  it('the benchmark builds with the options NodejsFunction deploys with', () => {
    const deployed = bundlingOptions('ingest-events', config);
    const benched = esbuildOptions(handlerEntry('ingest-events'), '/tmp/out/index.mjs', config);
    expect(benched).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: deployed.target,
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      external: ['@aws-sdk/*'],
      mainFields: deployed.mainFields,
      banner: { js: deployed.banner },
      define: deployed.define,
      absWorkingDir: REPO_ROOT,
    });
    expect(benched.entryPoints).toEqual([`${REPO_ROOT}functions/ingest-events/handler.ts`]);
  });

  it('the esbuild target is the Lambda runtime’s Node version', () => {
    expect(RUNTIME.name).toBe('nodejs24.x');
    expect(NODE_TARGET).toBe('node24');
  });

  it('the function’s slice of the validated config is baked in as a JSON string the runtime parses back', () => {
    const literal = bundlingOptions('send-email', config).define?.__NIGHTSHIFT_CONFIG__ ?? '';
    expect(JSON.parse(JSON.parse(literal))).toEqual(functionSlice('send-email', config));
  });

  it('a benchmark’s baseline entry, which is no function, gets the config’s name only', () => {
    const literal = esbuildOptions('/tmp/empty/handler.ts', '/tmp/out/index.mjs', config).define?.__NIGHTSHIFT_CONFIG__;
    expect(JSON.parse(JSON.parse(literal ?? ''))).toEqual({ name: config.name });
  });
});

describe('schedules', () => {
  it('a daily "HH:MM" becomes a Scheduler cron at that local time', () => {
    expect(dailyAt('00:30')).toBe('cron(30 0 * * ? *)');
    expect(dailyAt('23:05')).toBe('cron(5 23 * * ? *)');
  });

  it('an hourly minute past 59 wraps around', () => {
    expect(hourlyAt(60)).toBe('cron(0 * * * ? *)');
    expect(hourlyAt(45)).toBe('cron(45 * * * ? *)');
  });

  it('report schedules: every day, every week on a weekday (Monday by default), every month on a day', () => {
    expect(reportCron({ every: 'day', at: '05:00' })).toBe('cron(0 5 * * ? *)');
    expect(reportCron({ every: 'week', at: '09:00' })).toBe('cron(0 9 ? * MON *)');
    expect(reportCron({ every: 'week', at: '17:30', weekday: 'friday' })).toBe('cron(30 17 ? * FRI *)');
    expect(reportCron({ every: 'month', at: '09:00', dayOfMonth: 15 })).toBe('cron(0 9 15 * ? *)');
  });
});
