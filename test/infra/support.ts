// Builds the stack for the infra tests without bundling (inline code), reads IAM out of its template, and bundles
// handlers as deployed when a test needs the code itself.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { build } from 'esbuild';
import { esbuildOptions, handlerEntry, inlineFunctions } from '#infra/nightshift-function.ts';
import { NightshiftStack } from '#infra/nightshift-stack.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { exampleConfig } from '../support/config.ts';

export interface Synthesized {
  config: NightshiftConfig;
  stack: NightshiftStack;
  template: Template;
}

/** The example config's stack; `hasHandler` answers for the optional functions (default: all handlers exist). */
export function synthesize(
  options: { config?: NightshiftConfig; hasHandler?: (name: string) => boolean } = {},
): Synthesized {
  const config = options.config ?? exampleConfig();
  const stack = new NightshiftStack(new App(), 'Test', {
    config,
    functionFactory: inlineFunctions,
    hasHandler: options.hasHandler ?? (() => true),
  });
  return { config, stack, template: Template.fromStack(stack) };
}

export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of every IAM policy attached to the role. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }
  >;
  return Object.values(policies)
    .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleLogicalId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/**
 * Bundles each function's handler exactly as the stack deploys it (`esbuildOptions`, the options NodejsFunction is
 * given) into `dir`, and returns each bundle's text with its source map's.
 */
export async function buildBundles(
  names: readonly string[],
  config: NightshiftConfig,
  dir: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const outfile = join(dir, name, 'index.mjs');
    await build(esbuildOptions(handlerEntry(name), outfile, config));
    const map = existsSync(`${outfile}.map`) ? readFileSync(`${outfile}.map`, 'utf8') : '';
    out[name] = readFileSync(outfile, 'utf8') + map;
  }
  return out;
}
