import { describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../canonical/deployment-config';
import { maskingOptionsFromEnv } from '../../lambdas/common/log-masking';
import { baseEnvironment } from '../../lib/topology/bundling';
import { exampleConfigInput } from '../support/example-config';

// A deployment's logMasking reaches every function as the variables the logger's formatter reads.
describe("the configuration's log masking, in every function's environment", () => {
  it("turns on Powertools' event logging when the deployment asks, as the one value Powertools accepts", () => {
    const config = parseDeploymentConfig({ ...exampleConfigInput(), operations: { logEvent: true } });
    expect(baseEnvironment('opportunity-to-project', config, 'us-east-1').POWERTOOLS_LOGGER_LOG_EVENT).toBe('true');
  });

  it('passes further fields and amounts to the formatter when the deployment asks', () => {
    const config = parseDeploymentConfig({
      ...exampleConfigInput(),
      operations: { logMasking: { extraFields: ['projectCode', 'po_number'], maskAmounts: true } },
    });
    const env = baseEnvironment('time-to-invoice', config, 'us-east-1');
    expect(maskingOptionsFromEnv(env)).toEqual({ extraFields: ['projectCode', 'po_number'], maskAmounts: true });
  });

  it('adds nothing by default: the built-in fields only, amounts kept, no event logged', () => {
    const env = baseEnvironment('time-to-invoice', parseDeploymentConfig(exampleConfigInput()), 'us-east-1');
    expect(Object.keys(env).filter((k) => k.startsWith('LOG_MASK'))).toEqual([]);
    expect(env.POWERTOOLS_LOGGER_LOG_EVENT).toBeUndefined();
    expect(maskingOptionsFromEnv(env)).toEqual({ extraFields: [], maskAmounts: false });
  });
});
