import type { TemplateProblem } from '@open-hostfactory/core';
import { awsErrorCode, mapEc2Error } from './errors';

/** Field blamed for a DryRun refusal, by the AWS error code. */
const FIELD_OF_CODE: readonly [RegExp, string][] = [
  [/^InvalidAMIID/, 'imageId'],
  [/^InvalidSubnet/, 'subnetId'],
  [/^InvalidGroup|^InvalidSecurityGroup/, 'securityGroupIds'],
  [/^InvalidKeyPair/, 'keyName'],
  [/^InvalidInstanceType|^Unsupported/, 'vmType'],
  [/^InvalidLaunchTemplate/, 'launchTemplateId'],
  [/^InvalidIamInstanceProfile|^InvalidParameterValue.*iamInstanceProfile/i, 'instanceProfile'],
  [/^InvalidSpotFleetRequestConfig|^InvalidFleetRole|^InvalidRole/i, 'fleetRole'],
  [/^UnauthorizedOperation|^AuthFailure/, 'template'],
];

/** What a DryRun call answered: the problems it shows, and the answer when the endpoint ignored the flag. */
export interface DryRunOutcome<T> {
  readonly problems: TemplateProblem[];
  /** Set when the endpoint carried the call out (a look-alike that ignores DryRun): give back what it made. */
  readonly made?: T;
}

/**
 * Sends a call made with `DryRun: true`. EC2 answers `DryRunOperation` when the call would be
 * allowed (no problem); any other error is a `fail` naming the field its code blames. An answer
 * without error means the endpoint ignored DryRun: a `warn`, and the answer, so that the caller
 * gives back what was made.
 */
export async function dryRun<T>(operation: string, send: () => Promise<T>): Promise<DryRunOutcome<T>> {
  try {
    const made = await send();
    return {
      problems: [
        { severity: 'warn', field: 'template', message: `${operation} DryRun was not answered with DryRunOperation: the endpoint ignores DryRun` },
      ],
      made,
    };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'DryRunOperation') return { problems: [] };
    const field = FIELD_OF_CODE.find(([pattern]) => pattern.test(code))?.[1] ?? 'template';
    return { problems: [{ severity: 'fail', field, message: `${operation} DryRun refused: ${mapEc2Error(error, operation).message}` }] };
  }
}
