// The CDK app (`cdk synth`, `cdk deploy`): validates the config first, so a broken config stops the synth with the
// same path-named problems `nightshift validate` prints, then builds the stack under cdk-nag's AWS Solutions checks.
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InputFileError } from '#shared/config/input-file.ts';
import { ConfigError, DEFAULT_CONFIG_FILE, formatWarning, loadConfig } from '#shared/config/load.ts';
import { NightshiftStack, type NightshiftStackProps } from './nightshift-stack.ts';

export interface NightshiftAppProps extends AppProps {
  /** Overrides for tests. @default the stack's defaults (bundled code, handler files on disk) */
  readonly stack?: Pick<NightshiftStackProps, 'functionFactory' | 'hasHandler'>;
}

/**
 * The app with its stack; the config file comes from context `config` (`cdk synth -c config=FILE`). Throws ConfigError
 * (InputFileError if the file cannot be read).
 */
export function createApp(props: NightshiftAppProps = {}): { app: App; stack: NightshiftStack } {
  const { stack: stackProps, ...appProps } = props;
  const app = new App(appProps);
  const file = (app.node.tryGetContext('config') as string | undefined) ?? DEFAULT_CONFIG_FILE;
  // A likely slip (pct: 0.2 for 20%) does not stop the synth; it is said on stderr, as every CLI command says it.
  const config = loadConfig(file, { onWarning: (w) => console.warn(formatWarning(file, w)) });
  const stack = new NightshiftStack(app, config.name, {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    ...stackProps,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

if (import.meta.main) {
  try {
    createApp();
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof InputFileError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
