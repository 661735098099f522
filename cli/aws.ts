/**
 * The SDK clients of `--aws` commands (the stack's names come from options.ts awsSetting). They use
 * the default credential chain and region (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL for moto).
 */
import { type AwsClients, createAwsClients } from '#adapters/aws/clients.ts';

/**
 * SDK clients for one command, from the default configuration (read when built, so tests that stub
 * AWS_ENDPOINT_URL see moto). `close` releases their sockets so the process can exit.
 */
export function openAwsClients(): AwsClients & { close(): void } {
  const clients = createAwsClients();
  return {
    ...clients,
    close() {
      clients.doc.destroy();
      clients.s3.destroy();
      clients.secrets.destroy();
      clients.sqs.destroy();
      clients.athena.destroy();
    },
  };
}
