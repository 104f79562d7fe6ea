import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alarmOnServerErrors } from './alarms';

/** Properties of {@link OpsApi}. */
export interface OpsApiProps {
  /** The stage name in the URL (`/<stage>/ops/...`). */
  readonly stageName: string;
  /** Encrypts the access log group. */
  readonly encryptionKey: kms.IKey;
  /** Notified when the API answers 5xx. */
  readonly alarmTopic: sns.ITopic;
  /**
   * How long access logs (who called what, never bodies) are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

/**
 * The REST API behind `npm run ops`: every method takes AWS_IAM authorization, so API Gateway refuses
 * an unsigned request (403) before any function runs, and a resource policy refuses any caller outside
 * the stack's account even if some policy elsewhere allows it. Operators are IAM principals of the
 * account allowed `execute-api:Invoke` on it; the access log names the caller of each request.
 */
export class OpsApi extends Construct {
  /** The REST API; routes are added by the operations declaration (`lib/topology/operations.ts`). */
  public readonly api: apigateway.RestApi;
  /** Validates path parameters before the handler runs. */
  public readonly requestValidator: apigateway.RequestValidator;

  constructor(scope: Construct, id: string, props: OpsApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.encryptionKey,
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const account = Stack.of(this).account;
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-ops`,
      description: 'Operations: the exception inbox and its actions, for IAM principals of this account (SigV4 only)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // The webhook API already owns the account's CloudWatch role for execution logs.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringNotEquals: { 'aws:PrincipalAccount': account } },
          }),
          new iam.PolicyStatement({
            principals: [new iam.AccountPrincipal(account)],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
          }),
        ],
      }),
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: 20,
        throttlingBurstLimit: 40,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          user: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
        }),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: false,
      },
    });
    this.requestValidator = this.api.addRequestValidator('ValidateRequests', { validateRequestBody: true, validateRequestParameters: true });
    alarmOnServerErrors(
      this,
      this.api,
      props.alarmTopic,
      'The ops API answered 5xx: its function threw or timed out, or API Gateway failed; the operator saw the error. ' +
        'Read the access logs (caller, status, requestId), then the RunOpsCommand function logs. Runbook: docs/operations.md, "alarm: OpsApiServerErrorsAlarm".',
    );
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Operators are IAM principals: every method takes AWS_IAM authorization (SigV4), which AwsSolutions-APIG4 accepts; there is no user pool.',
    });
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Only SigV4-signed requests of IAM principals of this account reach a function (AWS_IAM on every method and a resource policy); API Gateway refuses the rest before any backend runs, and stage throttling bounds the rate.',
    });
  }
}
