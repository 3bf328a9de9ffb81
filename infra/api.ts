import * as aws from '@pulumi/aws';

/**
 * One HTTP API in front of the five service Lambdas; `/api/<service>/…` goes to that service.
 * It does not check tokens: every service verifies the Auth0 access token itself (TokenVerifier),
 * exactly as it does standalone.
 */
export const httpApi = new aws.apigatewayv2.Api('api', {
  name: 'kinema',
  protocolType: 'HTTP',
});

export const httpStage = new aws.apigatewayv2.Stage('api-stage', {
  apiId: httpApi.id,
  name: '$default',
  autoDeploy: true,
  defaultRouteSettings: { throttlingBurstLimit: 500, throttlingRateLimit: 1000 },
});
