import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { propsFromContext } from './context.ts';
import { LinkgapStack } from './linkgap-stack.ts';
import { DEFAULT_STACK_NAME } from './names.ts';

const app = new App();
const { stackName, ...props } = propsFromContext(app);
// Environment-agnostic on purpose: synth needs no AWS account and makes no lookups.
new LinkgapStack(app, stackName ?? DEFAULT_STACK_NAME, props);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
