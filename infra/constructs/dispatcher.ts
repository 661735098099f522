import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { lambdaEnvironment } from '#adapters/aws/config.ts';
import type { LinkgapNames } from '../names.ts';
import { LinkgapFunction } from './linkgap-function.ts';
import type { OpsAlarms } from './ops-alarms.ts';
import type { PipelineTable } from './pipeline-table.ts';
import type { RunQueue } from './run-queue.ts';

export interface DispatcherProps {
  /** Where the campaigns are read from (read only). */
  readonly table: PipelineTable;
  /** Where one message per due campaign run is sent. */
  readonly runQueue: RunQueue;
  /** Service name and metrics namespace. */
  readonly names: LinkgapNames;
  /** Alarms when an invocation fails. */
  readonly ops: OpsAlarms;
  /**
   * IANA time zone whose calendar date is "today" for the campaigns' schedules; the same zone
   * the daily schedule is read in.
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/** The function that finds the campaigns due today and queues one run message for each. */
export class Dispatcher extends LinkgapFunction {
  constructor(scope: Construct, id: string, props: DispatcherProps) {
    super(scope, id, {
      entry: 'functions/dispatcher/handler.ts',
      description: 'linkgap: finds the campaigns due today and queues one run message per campaign',
      timeout: Duration.seconds(60),
      memorySize: 256,
      environment: lambdaEnvironment({
        tableName: props.table.tableName,
        queueUrl: props.runQueue.queueUrl,
        timeZone: props.timeZone ?? 'UTC',
        serviceName: props.names.dispatcherService,
        metricsNamespace: props.names.metricsNamespace,
      }),
    });
    props.table.grantPipelineRead(this);
    props.runQueue.grantSendMessages(this);
    props.ops.addFunctionErrorsAlarm(`${id}Errors`, this, {
      meaning: 'The dispatcher failed in the last hour: due campaigns may not have been queued today.',
      action:
        'Read the dispatcher logs (a campaign item that fails validation is named there). The scheduler retries; if retries are exhausted the scheduler DLQ alarm fires too.',
    });
  }
}
