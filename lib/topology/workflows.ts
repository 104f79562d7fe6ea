import type { WorkflowDeclaration } from './declarations';
import { invoicePaymentStatus } from './invoice-payment-status';
import { operations } from './operations';
import { opportunityToProject } from './opportunity-to-project';
import { reconciliation } from './reconciliation';
import { timeToInvoice } from './time-to-invoice';

/** Every workflow a regional stack runs, and the ops API's parts, in AWS and locally: plain data, no CDK imports. */
export const WORKFLOWS: readonly WorkflowDeclaration[] = [opportunityToProject, timeToInvoice, invoicePaymentStatus, reconciliation, operations];
