// Opt-in regions the account has not enabled, as AWS treats calls made in them: refused before
// any service looks at the request, because the account's credentials are not valid there (AWS
// Account Management Reference Guide, "Enable or disable AWS Regions in your account"; AWS
// re:Post knowledge center, "Why do I get the 'AWS was not able to validate the provided access
// credentials' error in some AWS Regions?"). Each protocol says it its own way: EC2 answers
// `AuthFailure` (401), the other query and XML services (STS, CloudFormation, ELBv2)
// `InvalidClientTokenId` (403), the JSON ones (EKS) `UnrecognizedClientException` (403).
// Which regions those are is what moto's DescribeRegions answers: like a new account, it has
// enabled none of the opt-in regions.
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { moto } from './aws.js';
import type { GatewayResponse } from './http.js';
import { awsError, type AwsCall } from './protocol.js';

const invalidToken = 'The security token included in the request is invalid.';

/** AWS's refusal of a call made in a region the account has not enabled, in the service's protocol. */
export function regionNotEnabled(service: string): GatewayResponse {
  if (service === 'ec2')
    return awsError(service, 'AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
  if (service === 'eks') return awsError(service, 'UnrecognizedClientException', invalidToken, 403);
  return awsError(service, 'InvalidClientTokenId', invalidToken, 403);
}

export class RegionGate {
  private notEnabled?: Promise<Set<string>>;

  /** The refusal for a call signed for a region the account has not enabled; undefined for any other. */
  async check(call: AwsCall, region: string | undefined): Promise<GatewayResponse | undefined> {
    if (!region) return undefined;
    return (await this.regionsNotEnabled()).has(region) ? regionNotEnabled(call.service) : undefined;
  }

  private regionsNotEnabled(): Promise<Set<string>> {
    this.notEnabled ??= moto.ec2
      .send(new DescribeRegionsCommand({ AllRegions: true }))
      .then(
        ({ Regions = [] }) =>
          new Set(Regions.filter((r) => r.OptInStatus === 'not-opted-in').map((r) => r.RegionName!)),
      )
      .catch((err: Error) => {
        this.notEnabled = undefined; // asked again on the next call
        throw err;
      });
    return this.notEnabled;
  }
}
