// The project's Lambda function: Node 24 on arm64, one minified ESM bundle with its slice of the validated config baked
// in (infra/function-config.ts: no people), X-Ray, its own log group, and bind* helpers that grant IAM and set the
// matching env var in one call.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type ConfigSlice, configSlice } from '#shared/config/slice.ts';
import { functionSlice } from './function-config.ts';
import { type KeyGrant, keyGrantStatements, type StateTables, tableEnvVar } from './state-tables.ts';
import type { FunctionTableAccess } from './table-access.ts';

/** The repository root: entries, the lock file and esbuild's working directory are resolved from it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const RUNTIME = lambda.Runtime.NODEJS_24_X;
export const ARCHITECTURE = lambda.Architecture.ARM_64;
/** esbuild target matching RUNTIME. */
export const NODE_TARGET = 'node24';

/** `functions/<name>/handler.ts`, absolute. */
export function handlerEntry(name: string): string {
  return join(REPO_ROOT, 'functions', name, 'handler.ts');
}

/** `ingest-events` from `.../functions/ingest-events/handler.ts`; undefined for any other entry. */
export function functionNameOf(entry: string): string | undefined {
  return /(?:^|[/\\])functions[/\\]([^/\\]+)[/\\]handler\.ts$/.exec(entry)?.[1];
}

/** Whether `functions/<name>/handler.ts` exists: optional functions are wired only once their handler lands. */
export function handlerExists(name: string): boolean {
  return existsSync(handlerEntry(name));
}

/**
 * The one definition of how a handler is bundled, used by NodejsFunction and (through `esbuildOptions`) by the
 * cold-start benchmark, so what is measured is what is deployed. `name` is the function: its slice of the config is
 * what gets baked in.
 */
export function bundlingOptions(name: string, config: NightshiftConfig): BundlingOptions {
  return bundlingWith(functionSlice(name, config));
}

function bundlingWith(slice: ConfigSlice): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: NODE_TARGET,
    minify: true,
    sourceMap: true,
    // Stack traces need the mappings only; without the sources the .map Node parses at load time is ~3x smaller.
    sourcesContent: false,
    // The Node 24 runtime provides AWS SDK v3; bench/coldstart.ts measures the bundles without it.
    externalModules: ['@aws-sdk/*'],
    // Prefer packages' ESM builds: they tree-shake.
    mainFields: ['module', 'main'],
    // CommonJS dependencies that call require() keep working inside an ESM bundle.
    banner: "import{createRequire}from'node:module';const require=createRequire(import.meta.url);",
    // Read by functions/runtime.ts: the function's slice of the validated config as a JSON string literal.
    define: { __NIGHTSHIFT_CONFIG__: JSON.stringify(JSON.stringify(slice)) },
  };
}

/**
 * The esbuild build options equivalent to `bundlingOptions` (the arguments NodejsFunction passes to esbuild) for the
 * function whose handler `entry` is; any other entry (a benchmark's baseline) gets the config's name only.
 */
export function esbuildOptions(entry: string, outfile: string, config: NightshiftConfig): BuildOptions {
  const name = functionNameOf(entry);
  const b = bundlingWith(name ? functionSlice(name, config) : configSlice(config, ['name']));
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: b.target,
    format: b.format === OutputFormat.ESM ? 'esm' : 'cjs',
    minify: b.minify,
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    external: b.externalModules,
    mainFields: b.mainFields,
    banner: b.banner ? { js: b.banner } : {},
    define: b.define,
    absWorkingDir: REPO_ROOT,
    logLevel: 'warning',
  };
}

/** What a factory gets: everything but the code. */
export interface FunctionSpec {
  /** Folder under `functions/`. */
  readonly name: string;
  /** Absolute path of the handler file; it exports `handler`. */
  readonly entry: string;
  /** The whole validated config: the factory bakes the function's slice of it (`bundlingOptions`). */
  readonly config: NightshiftConfig;
  /** Role, log group, memory, timeout, environment, tracing, architecture. */
  readonly options: lambda.FunctionOptions;
}

/** Builds the lambda.Function for a spec; swap it to skip bundling (tests use `inlineFunctions`). */
export type FunctionFactory = (scope: Construct, id: string, spec: FunctionSpec) => lambda.Function;

/** The deployed code: the entry bundled with the local esbuild (never Docker). */
export const bundledFunctions: FunctionFactory = (scope, id, spec) => {
  assertLocalEsbuild();
  return new NodejsFunction(scope, id, {
    ...spec.options,
    runtime: RUNTIME,
    entry: spec.entry,
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    bundling: bundlingOptions(spec.name, spec.config),
  });
};

/** NodejsFunction silently falls back to Docker when it finds no esbuild; Nightshift bundles locally or fails. */
function assertLocalEsbuild(): void {
  try {
    createRequire(join(REPO_ROOT, 'package.json')).resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed in this repository (run `npm ci`); Nightshift never bundles in Docker');
  }
}

/** A placeholder handler instead of the bundle: the same resources, synthesized in milliseconds. */
export const inlineFunctions: FunctionFactory = (scope, id, spec) =>
  new lambda.Function(scope, id, {
    ...spec.options,
    runtime: RUNTIME,
    handler: 'index.handler',
    code: lambda.Code.fromInline(`exports.handler = async () => ({}); // ${spec.name}`),
  });

/** What a function may do on a table: exact actions on the partitions its code uses (see state-tables.ts). */
export type TableAccess = readonly KeyGrant[];
export type QueueAccess = 'send';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface NightshiftFunctionProps {
  /** Folder under `functions/`; the entry is `functions/<name>/handler.ts` exporting `handler`. */
  readonly name: string;
  /** The validated config; the function's slice of it (infra/function-config.ts) is baked into the bundle. */
  readonly config: NightshiftConfig;
  /** What the function does, shown in the console. @default - none */
  readonly description?: string;
  /** @default 512 (MB) */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** Powertools `LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Extra environment variables. @default - none */
  readonly environment?: Record<string, string>;
  /** @default bundledFunctions */
  readonly functionFactory?: FunctionFactory;
}

export class NightshiftFunction extends Construct implements iam.IGrantable {
  /** Folder under `functions/`. */
  public readonly name: string;
  public readonly fn: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: NightshiftFunctionProps) {
    super(scope, id);
    this.name = props.name;
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });

    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to this function's log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Nightshift ${props.name}`,
    });
    this.logGroup.grantWrite(this.role);
    // X-Ray in its own policy (tracing is set on the L1 below) so the wildcard it needs is acknowledged here only.
    const xray = new iam.Policy(this, 'XRayWrite', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(xray).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });

    const factory = props.functionFactory ?? bundledFunctions;
    this.fn = factory(this, 'Function', {
      name: props.name,
      entry: handlerEntry(props.name),
      config: props.config,
      options: {
        description: props.description,
        architecture: ARCHITECTURE,
        memorySize: props.memorySize ?? 512,
        timeout: props.timeout ?? Duration.seconds(30),
        role: this.role,
        logGroup: this.logGroup,
        environment: {
          POWERTOOLS_SERVICE_NAME: props.config.name,
          LOG_LEVEL: props.logLevel ?? 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
          ...props.environment,
        },
      },
    });
    (this.fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    this.fn.node.addDependency(xray);
    this.grantPrincipal = this.fn.grantPrincipal;
  }

  /**
   * Grants `access` (exact actions on the listed partitions) on one of the StateTables and sets its name in
   * `EVENTS_TABLE` / `STATE_TABLE`.
   */
  bindTable(table: ITable, access: TableAccess): this {
    const envVar = tableEnvVar(table);
    for (const statement of keyGrantStatements(table, access)) this.role.addToPrincipalPolicy(statement);
    this.fn.addEnvironment(envVar, table.tableName);
    return this;
  }

  /** `bindTable` for each table `access` lists (TABLE_ACCESS of infra/table-access.ts). */
  bindTables(tables: StateTables, access: FunctionTableAccess): this {
    if (access.events) this.bindTable(tables.events, access.events);
    if (access.state) this.bindTable(tables.state, access.state);
    return this;
  }

  /** Grants sending to the queue and sets its URL in `envVar`. */
  bindQueue(queue: IQueue, access: QueueAccess, envVar = 'DELIVERY_QUEUE_URL'): this {
    if (access === 'send') queue.grantSendMessages(this.fn);
    this.fn.addEnvironment(envVar, queue.queueUrl);
    return this;
  }
}
