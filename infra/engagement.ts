import * as pulumi from '@pulumi/pulumi';
import type { ServiceExtras } from './services.js';

/**
 * What the engagement Lambda needs beyond the common wiring for positions and "continue
 * watching": where this region's entitlement API answers. Engagement asks it, as the viewer,
 * before it keeps a position (runtime/aws/engagement.ts `ENTITLEMENT_API_URL`); the regional API
 * endpoint, not the site's domain, so a call never leaves the region nor loops through CloudFront.
 * No table or index is added: positions and "my list" use the engagement table's gsi1 and gsi2.
 */
export function engagementExtras(apiEndpoint: pulumi.Input<string>): ServiceExtras {
  return { environment: { ENTITLEMENT_API_URL: pulumi.interpolate`${apiEndpoint}/api/entitlement` } };
}
