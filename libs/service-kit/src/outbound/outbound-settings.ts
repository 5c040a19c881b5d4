/**
 * Settings of the outbound-call policy (outbound-policy.ts), for the services that call out:
 * the gateway (synchronous webhook steps) and the executor (asynchronous webhook steps, the
 * `http` custom activity).
 */
import { z } from 'zod';
import { OutboundPolicy, OutboundSettingError } from './outbound-policy';

const entryList = (setting: string, what: string) =>
  z
    .string()
    .optional()
    .superRefine((value, context) => {
      try {
        new OutboundPolicy(setting === 'OUTBOUND_ALLOW' ? { allow: value } : { deny: value });
      } catch (error) {
        if (!(error instanceof OutboundSettingError)) throw error;
        context.addIssue({ code: 'custom', message: `${what}: ${error.message.replace(`${setting}: `, '')}` });
      }
    });

export const outboundSettings = {
  /** What outbound calls may reach beyond public addresses: CIDRs, addresses, host names, range names (loopback, private, ...). */
  OUTBOUND_ALLOW: entryList('OUTBOUND_ALLOW', 'expected a comma-separated list of what outbound calls may reach beyond public addresses'),
  /** What outbound calls never reach, public or not; wins over OUTBOUND_ALLOW. */
  OUTBOUND_DENY: entryList('OUTBOUND_DENY', 'expected a comma-separated list of what outbound calls never reach'),
};

export type OutboundConfig = z.infer<z.ZodObject<typeof outboundSettings>>;

export function outboundPolicyOf(config: OutboundConfig): OutboundPolicy {
  return new OutboundPolicy({
    ...(config.OUTBOUND_ALLOW ? { allow: config.OUTBOUND_ALLOW } : {}),
    ...(config.OUTBOUND_DENY ? { deny: config.OUTBOUND_DENY } : {}),
  });
}
