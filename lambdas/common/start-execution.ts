import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { stepFunctions } from './clients/step-functions';

/**
 * Starts an execution under its deterministic name; false when one of that name already exists (it
 * ran or is running), which is how a duplicate start becomes a no-op.
 */
export async function startExecutionOnce(stateMachineArn: string, name: string, input: unknown): Promise<boolean> {
  try {
    await stepFunctions().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return true;
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists') return false;
    throw error;
  }
}
