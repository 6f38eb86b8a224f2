// The pseudonym key: a Secrets Manager secret whose random value Secrets Manager generates (it is never in the
// template, a bundle or an environment variable), read once per cold start by the functions that write pseudonyms:
// ingest-events (ids in its log lines) and check-backups (ids of reconciliation examples in alert mails).
import { CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { NightshiftFunction } from './nightshift-function.ts';

/** The variable functions/runtime.ts reads the secret's ARN from. */
export const PSEUDONYM_KEY_ENV = 'PSEUDONYM_KEY_SECRET';

export interface PseudonymKeyProps {
  /** Functions that may read the key (each gets read on this secret only, and its ARN in PSEUDONYM_KEY_SECRET). */
  readonly readers: ReadonlyArray<NightshiftFunction | undefined>;
}

export class PseudonymKey extends Construct {
  public readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PseudonymKeyProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'Nightshift pseudonym key: user and order ids in logs and mails are HMAC-SHA-256 of the id under this key',
      // 64 letters and digits (~380 bits); functions/runtime.ts refuses fewer than 32 characters.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      // Losing the key makes every pseudonym already in logs and mails impossible to match to an id.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Not rotated on a schedule: a new key changes every pseudonym, so lines logged before and after could no ' +
        'longer be matched to one id. Rotate it deliberately (put a new value) when it may have leaked.',
    });
    for (const reader of props.readers) if (reader) this.grantRead(reader);

    new CfnOutput(this, 'SecretArn', {
      description: 'Pseudonym key (nightshift pseudonym <id> --secret <this ARN> prints the pseudonym logs show)',
      value: this.secret.secretArn,
    });
  }

  /** Lets the function read the key (GetSecretValue and DescribeSecret on this secret) and names it in its env. */
  grantRead(reader: NightshiftFunction): void {
    this.secret.grantRead(reader);
    reader.fn.addEnvironment(PSEUDONYM_KEY_ENV, this.secret.secretArn);
  }
}
