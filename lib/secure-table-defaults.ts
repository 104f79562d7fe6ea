import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { TableKeys } from './topology/tables';

/**
 * The properties every table of the stack shares: keys from `TABLE_KEYS`, on-demand billing,
 * encryption with the region key, point-in-time recovery, deletion protection, retained on stack
 * deletion. One definition, so no table can be created with weaker defaults than the others.
 */
export function secureTableProps(keys: TableKeys, encryptionKey: kms.IKey, removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN): dynamodb.TablePropsV2 {
  return {
    partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
    ...(keys.sortKey ? { sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
    ...(keys.timeToLiveAttribute ? { timeToLiveAttribute: keys.timeToLiveAttribute } : {}),
    ...(keys.indexes
      ? {
          globalSecondaryIndexes: keys.indexes.map((index) => ({
            indexName: index.name,
            partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
            sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
          })),
        }
      : {}),
    billing: dynamodb.Billing.onDemand(),
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(encryptionKey),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy,
  };
}
