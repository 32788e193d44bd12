/**
 * Per-route allow/deny CIDR lists on the client address resolved through trustedProxies
 * (ctx.clientIp: X-Forwarded-For counts only from a trusted peer). A refused request is answered
 * 403 `forbidden` before auth, before its body is read and before any upstream is called.
 */
import { GatewayError } from '../../errors.js';
import { definePlugin } from '../define-plugin.js';
import { IpRules, ipRulesProblems } from './ip-rules.js';
import { IpRulesSchema } from './schema.js';

export const ipRulesPlugin = definePlugin({
  name: 'ip-rules',
  configKey: 'ipRules',
  priority: 1500,
  schema: IpRulesSchema,
  validate: (value) => ipRulesProblems(value),
  create(value) {
    const rules = new IpRules(value);
    return (next) =>
      async function ipRules(ctx) {
        if (!rules.admits(ctx.clientIp)) throw new GatewayError('forbidden', { message: 'The client address is not allowed on this route.' });
        return next(ctx);
      };
  },
});
