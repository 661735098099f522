import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

export interface MozSecretProps {
  /** Name of the secret to create, e.g. `linkgap/moz`. */
  readonly secretName: string;
}

/** The Moz credentials the runner reads, and the name it reads them by. */
export interface MozCredentials {
  readonly secret: secretsmanager.ISecret;
  readonly secretName: string;
}

/**
 * The secret holding the Moz API token as `{"token":"..."}`. Created with an empty token for you
 * to fill in after deploy, and retained when the stack is deleted so the token survives.
 */
export class MozSecret extends secretsmanager.Secret {
  /**
   * The secret named `existingSecretName` when one is given (e.g. kept from an earlier
   * deployment), otherwise a new `MozSecret` named `secretName`.
   */
  public static existingOrNew(
    scope: Construct,
    id: string,
    props: MozSecretProps & { readonly existingSecretName?: string | undefined },
  ): MozCredentials {
    if (props.existingSecretName) {
      return {
        secret: secretsmanager.Secret.fromSecretNameV2(scope, id, props.existingSecretName),
        secretName: props.existingSecretName,
      };
    }
    return { secret: new MozSecret(scope, id, props), secretName: props.secretName };
  }

  constructor(scope: Construct, id: string, props: MozSecretProps) {
    super(scope, id, {
      secretName: props.secretName,
      description:
        'Moz Links API credentials for linkgap. After deploy, put {"token":"<your Moz API token>"} here (aws secretsmanager put-secret-value).',
      // A placeholder, not a credential: an empty token the runner rejects with a message naming
      // this secret. CloudFormation never rewrites it, so the value you put survives redeploys.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ token: '' })),
      // Kept on stack deletion; redeploy with -c existingMozSecretName=<name> to reuse it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds a Moz API token issued in the Moz account UI; no API exists for a rotation Lambda to mint a new one. Rotate it by hand (put-secret-value); the runner re-reads the secret after a 401/403.',
    });
  }
}
