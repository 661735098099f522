import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { acknowledgeWildcard } from './nag.ts';
import type { OpsAlarms } from './ops-alarms.ts';

export interface DailyDispatchProps {
  /** The function the schedule invokes. */
  readonly dispatcher: lambda.IFunction;
  /** Alarms when the scheduler gives up on an invocation. */
  readonly ops: OpsAlarms;
  /**
   * When the dispatcher runs. It runs daily and starts the campaigns that are due, so each
   * campaign's own schedule (e.g. monthly on day 1) lives in its config, not here.
   * @default 'cron(0 6 * * ? *)' (06:00 every day)
   */
  readonly expression?: string;
  /**
   * IANA time zone the expression is read in.
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/**
 * The EventBridge Scheduler schedule that invokes the dispatcher, with retries, a dead-letter queue
 * (`SchedulerDlq`, alarmed) and its own role (`SchedulerRole`, so its one cdk-nag finding is
 * acknowledged here). Those are siblings, not children, so they keep the logical ids they were
 * first deployed under.
 */
export class DailyDispatch extends scheduler.Schedule {
  constructor(scope: Construct, id: string, props: DailyDispatchProps) {
    const deadLetterQueue = new DeadLetterQueue(scope, 'SchedulerDlq', {
      ops: props.ops,
      meaning:
        'EventBridge Scheduler could not invoke the dispatcher after all retries: no campaign runs were started for that day.',
      action:
        'Check that the dispatcher function exists and that the scheduler role may invoke it, then invoke the dispatcher by hand (or wait for the next day; due campaigns are picked up again) and purge the scheduler DLQ.',
    });
    const role = schedulerRole(scope);
    super(scope, id, {
      description: 'linkgap: invoke the dispatcher, which starts the campaign runs that are due',
      schedule: scheduler.ScheduleExpression.expression(
        props.expression ?? 'cron(0 6 * * ? *)',
        TimeZone.of(props.timeZone ?? 'UTC'),
      ),
      target: new targets.LambdaInvoke(props.dispatcher, {
        input: scheduler.ScheduleTargetInput.fromObject({
          source: 'linkgap.schedule',
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
        // The dispatcher is idempotent per (campaign, run_date), so retrying is safe; a few hours
        // of retries ride out an outage well before the next day's invocation.
        retryAttempts: 5,
        maxEventAge: Duration.hours(6),
        deadLetterQueue,
        role,
      }),
    });
    acknowledgeWildcard(
      role,
      props.dispatcher,
      ':*',
      'lambda:InvokeFunction on the dispatcher function and its versions/aliases (ARN:*), as LambdaInvoke grants it; no other function.',
    );
  }
}

/** A role only EventBridge Scheduler's default schedule group of this account may assume. */
function schedulerRole(scope: Construct): iam.Role {
  const stack = Stack.of(scope);
  return new iam.Role(scope, 'SchedulerRole', {
    description: 'Lets EventBridge Scheduler invoke the linkgap dispatcher and dead-letter failures',
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: 'default',
          }),
        },
      },
    }),
  });
}
