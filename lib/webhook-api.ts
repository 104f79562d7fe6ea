import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { alarmOnServerErrors } from './alarms';

/** Properties of {@link WebhookApi}. */
export interface WebhookApiProps {
  /** The stage name in the URL SaaS systems call (`/<stage>/webhooks/...`). */
  readonly stageName: string;
  /** Steady-state requests per second the stage accepts before answering 429. */
  readonly throttleRateLimit: number;
  /** Requests the stage accepts in a burst. */
  readonly throttleBurstLimit: number;
  /** Encrypts the access log group. */
  readonly encryptionKey: kms.IKey;
  /** Notified when the API answers 5xx. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Bodies larger than this are refused with 413 by the webhook handlers; API Gateway's own limit
   * (10 MB) cannot be lowered, so the handlers enforce ours. Handlers read it from {@link WebhookApi.maxBodyBytes}.
   */
  readonly maxBodyBytes: number;
  /**
   * Put AWS WAF in front of the stage.
   * @default true
   */
  readonly waf?: boolean;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

/**
 * The REST API that SaaS systems call with webhooks. Every route verifies its vendor's signature in
 * its handler (vendors cannot sign with SigV4 or carry a Cognito token), so the API is open at the
 * edge and guarded by throttling, WAF and the handlers. Access logs carry request metadata only;
 * execution logs are at ERROR level without data tracing, so no webhook body reaches a log.
 */
export class WebhookApi extends Construct {
  /** The REST API. */
  public readonly api: apigateway.RestApi;
  /** Validates request parameters and bodies against method models before a handler runs. */
  public readonly requestValidator: apigateway.RequestValidator;
  /** The resource under which vendor webhook routes are added (`/webhooks`). */
  public readonly webhooks: apigateway.Resource;
  /** The body limit webhook handlers enforce with 413. */
  public readonly maxBodyBytes: number;
  /** The access log group. */
  public readonly accessLogs: logs.LogGroup;
  /** Fires when the API answers any 5xx in five minutes. */
  public readonly serverErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.maxBodyBytes = props.maxBodyBytes;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.encryptionKey,
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new apigateway.RestApi(this, 'Api', {
      // API Gateway's metrics carry the API's name, not its id: a name of its own per stack, so the 5xx
      // alarm and the dashboard watch this API only, not every API called "Api" in the account.
      restApiName: `${Stack.of(this).stackName}-webhooks`,
      description: 'Webhooks from SaaS systems (HubSpot, Business Central, ...), verified per vendor',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Execution logging (APIG6) needs the account-level CloudWatch role; keep it when the stack goes,
      // since other APIs in the account may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        // X-Ray is off across the stack (docs/adr/0019-tracing-and-parser.md).
        tracingEnabled: false,
      },
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole !== undefined) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role; AWS maintains this policy as the minimum for pushing execution and access logs, and it grants nothing beyond CloudWatch Logs.",
      });
    }
    this.requestValidator = this.api.addRequestValidator('ValidateRequests', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    // A health route that needs no backend, so a deploy can be smoke-tested before any vendor is wired.
    this.api.root.addResource('health').addMethod(
      'GET',
      new apigateway.MockIntegration({
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"status":"ok"}' } }],
      }),
      { methodResponses: [{ statusCode: '200' }], requestValidator: this.requestValidator },
    );
    this.webhooks = this.api.root.addResource('webhooks');
    this.serverErrorsAlarm = alarmOnServerErrors(this, this.api, props.alarmTopic);

    // Applies to every method under the API, present and future.
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Webhook callers (HubSpot, Business Central) cannot sign with SigV4 or present Cognito tokens; every webhook handler verifies the vendor signature or clientState itself, and the health route returns a constant.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'No Cognito user pool: webhook callers are SaaS systems authenticated by vendor signatures checked in the handler.',
      },
    );
    if (props.waf ?? true) this.attachWaf();
    else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'WAF switched off in the deployment configuration (webhooks.waf: false) for this region; throttling and signature checks remain.',
      });
    }
  }

  /**
   * WAF with a per-IP rate limit, known bad inputs and Amazon's IP reputation list. Deliberately not the
   * common rule set: its body-size and cross-site-scripting rules block legitimate webhooks (large
   * batches, deal descriptions with HTML), and HubSpot does not retry a 403, so a block loses the event.
   */
  private attachWaf(): void {
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: false },
    });
    const acl = new wafv2.CfnWebACL(this, 'Waf', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'webhook-api', sampledRequestsEnabled: false },
      rules: [
        {
          name: 'rate-limit-per-ip',
          priority: 0,
          // 429, not WAF's default 403: HubSpot and Business Central retry a 429, while a 403 loses a
          // HubSpot event and makes Business Central delete its subscription.
          action: { block: { customResponse: { responseCode: 429 } } },
          // Per 5 minutes per source IP; HubSpot spreads deliveries over many addresses.
          statement: { rateBasedStatement: { limit: 3000, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'rate-limit-per-ip', sampledRequestsEnabled: false },
        },
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        managed('AWSManagedRulesAmazonIpReputationList', 2),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WafAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
  }
}
