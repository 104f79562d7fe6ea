/**
 * The exceptions table's inbox index, read by the CDK table (`lib/topology/tables.ts`), the local stack
 * and the code that writes and lists exceptions. Only open (and retrying) exceptions carry its keys, so
 * it lists exactly what needs a person: by workflow, then legal entity and age
 * (`<legal entity or ->#<first seen>`).
 */
export const OPEN_EXCEPTIONS_INDEX = { name: 'OpenByWorkflow', partitionKey: 'openWorkflow', sortKey: 'openSince' } as const;
