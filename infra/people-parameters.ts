// The people, out of every bundle: two SSM parameters the stack writes from the config. The directory (ids, roles,
// departments, report recipients, response plans' responders) is read by the functions that plan or route mail; the
// contacts (names and addresses) by the sender only. Each reader reads them once per cold start (functions/runtime.ts),
// so a recipient change deploys as a parameter update: no bundle changes, and only the readers' configuration gets the
// new fingerprint (PEOPLE_VERSION), which retires their warm instances so none keeps mailing an old list.
import { createHash } from 'node:crypto';
import { CfnOutput } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ConfigError } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { peopleContacts, peopleDirectory } from '#shared/config/slice.ts';
import type { PeopleAccess } from './function-config.ts';
import type { NightshiftFunction } from './nightshift-function.ts';

/** The variables functions/runtime.ts reads the parameters' names from. */
export const PEOPLE_DIRECTORY_ENV = 'PEOPLE_DIRECTORY_PARAMETER';
export const PEOPLE_CONTACTS_ENV = 'PEOPLE_CONTACTS_PARAMETER';
/** A fingerprint of both values: changes with any recipient, role or address, and says nothing of them. */
export const PEOPLE_VERSION_ENV = 'PEOPLE_VERSION';

/** SSM's limits on a String parameter's value, by tier (characters). */
const STANDARD_LIMIT = 4096;
const ADVANCED_LIMIT = 8192;

export interface PeopleParametersProps {
  readonly config: NightshiftConfig;
}

export class PeopleParameters extends Construct {
  public readonly directory: ssm.StringParameter;
  public readonly contacts: ssm.StringParameter;
  /** First 16 hex digits of SHA-256 over both values. */
  public readonly version: string;

  constructor(scope: Construct, id: string, props: PeopleParametersProps) {
    super(scope, id);
    const { config } = props;
    const directory = JSON.stringify(peopleDirectory(config));
    const contacts = JSON.stringify(peopleContacts(config));
    this.version = createHash('sha256').update(directory).update('\n').update(contacts).digest('hex').slice(0, 16);
    // Named under the stack's name, so an operator finds them; CloudFormation cannot create SecureString parameters,
    // so these are String parameters read only by the roles granted below (see the README's security section).
    this.directory = this.parameter('Directory', `/${config.name}/people/directory`, directory, 'people directory');
    this.contacts = this.parameter('Contacts', `/${config.name}/people/contacts`, contacts, 'names and addresses');

    new CfnOutput(this, 'DirectoryParameterName', {
      description: 'People directory (ids, roles, departments, recipients, responders), written from the config',
      value: this.directory.parameterName,
    });
    new CfnOutput(this, 'ContactsParameterName', {
      description: 'Names and addresses of the people, written from the config, read by send-email only',
      value: this.contacts.parameterName,
    });
  }

  private parameter(id: string, name: string, value: string, what: string): ssm.StringParameter {
    if (value.length > ADVANCED_LIMIT) {
      throw new ConfigError('config', [
        {
          path: 'people',
          message: `${what}: ${value.length} characters as JSON, over the ${ADVANCED_LIMIT} SSM allows in a parameter`,
        },
      ]);
    }
    return new ssm.StringParameter(this, id, {
      parameterName: name,
      description: `Nightshift ${what}, written by the stack from the config (edit the config and deploy)`,
      stringValue: value,
      tier: value.length > STANDARD_LIMIT ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
  }

  /**
   * Lets the function read what `access` names: GetParameters on the directory, and for 'contacts' on the contacts
   * too (no history, no listing, nothing else), and names them in its environment with the fingerprint.
   */
  grantRead(reader: NightshiftFunction, access: PeopleAccess): void {
    const parameters = access === 'contacts' ? [this.directory, this.contacts] : [this.directory];
    reader.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameters'],
        resources: parameters.map((p) => p.parameterArn),
      }),
    );
    reader.fn.addEnvironment(PEOPLE_DIRECTORY_ENV, this.directory.parameterName);
    if (access === 'contacts') reader.fn.addEnvironment(PEOPLE_CONTACTS_ENV, this.contacts.parameterName);
    reader.fn.addEnvironment(PEOPLE_VERSION_ENV, this.version);
  }
}
