import { z } from 'zod';
import { IsoTimestamp } from '../primitives';
import { SystemRef } from '../systems';
import * as v1 from './payloads-v1';

/**
 * The canonical events on our bus: an envelope common to all, and one payload schema per event type
 * and version. A new version is added beside the old one; fixtures of every version stay valid.
 */
export const EVENT_CATALOGUE = {
  'opportunity.won': { 1: v1.OpportunityWonV1 },
  'account.changed': { 1: v1.AccountChangedV1 },
  'contract.amended': { 1: v1.ContractAmendedV1 },
  'project.activated': { 1: v1.ProjectActivatedV1 },
  'time.approved': { 1: v1.TimeApprovedV1 },
  'expense.approved': { 1: v1.ExpenseApprovedV1 },
  'milestone.completed': { 1: v1.MilestoneCompletedV1 },
  'invoice.posted': { 1: v1.InvoicePostedV1 },
  'payment.received': { 1: v1.PaymentReceivedV1 },
  'worker.changed': { 1: v1.WorkerChangedV1 },
} as const;

/** A canonical event type. */
export type EventType = keyof typeof EVENT_CATALOGUE;
/** Every canonical event type. */
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

/** The envelope of every canonical event, with its payload left to the catalogue. */
export const EventEnvelope = z.strictObject({
  /** Unique per event, stable across redelivery and replay: consumers deduplicate on it. */
  id: z.uuid(),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  schemaVersion: z.int().min(1),
  source: SystemRef,
  occurredAt: IsoTimestamp,
  correlationId: z.string().min(1).max(128),
  legalEntityId: z.string().min(1).optional(),
  /**
   * The source's comparable version of the record (Salesforce commitNumber, HubSpot occurredAt):
   * decimal digits, kept a string because it can exceed 2^53.
   */
  sourceVersion: z
    .string()
    .regex(/^(0|[1-9]\d{0,37})$/)
    .optional(),
  payload: z.unknown(),
});

/** A canonical event of a given type and version, typed by its payload schema. */
export type CanonicalEvent<T extends EventType = EventType, V extends keyof (typeof EVENT_CATALOGUE)[T] = keyof (typeof EVENT_CATALOGUE)[T]> = Omit<
  z.infer<typeof EventEnvelope>,
  'payload' | 'type'
> & { type: T; payload: (typeof EVENT_CATALOGUE)[T][V] extends z.ZodType ? z.infer<(typeof EVENT_CATALOGUE)[T][V]> : never };

/** The payload schema of a type and version, or undefined if the catalogue has none. */
export function payloadSchema(type: string, version: number): z.ZodType | undefined {
  const versions = (EVENT_CATALOGUE as Record<string, Record<number, z.ZodType>>)[type];
  return versions?.[version];
}

/** Why an event was refused, with the path of every problem. */
export class CanonicalEventError extends Error {
  override readonly name = 'CanonicalEventInvalid';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid canonical event: ${problems.join('; ')}`);
  }
}

/**
 * Validates an envelope and its payload against the schema of its type and version.
 * @throws CanonicalEventError naming an unknown type or version, or every violated path.
 */
export function parseCanonicalEvent(input: unknown): CanonicalEvent {
  const envelope = EventEnvelope.safeParse(input);
  if (!envelope.success) throw new CanonicalEventError(envelope.error.issues.map((i) => `${i.path.join('.') || '(envelope)'}: ${i.message}`));
  const schema = payloadSchema(envelope.data.type, envelope.data.schemaVersion);
  if (schema === undefined) throw new CanonicalEventError([`schemaVersion: ${envelope.data.type} has no version ${envelope.data.schemaVersion}`]);
  const payload = schema.safeParse(envelope.data.payload);
  if (!payload.success) throw new CanonicalEventError(payload.error.issues.map((i) => `payload.${i.path.join('.')}: ${i.message}`));
  return { ...envelope.data, payload: payload.data } as CanonicalEvent;
}

/** An `opportunity.won` v1 event. */
export type OpportunityWonEvent = CanonicalEvent<'opportunity.won', 1>;
/** A `project.activated` v1 event. */
export type ProjectActivatedEvent = CanonicalEvent<'project.activated', 1>;
/** A `time.approved` v1 event. */
export type TimeApprovedEvent = CanonicalEvent<'time.approved', 1>;
/** An `expense.approved` v1 event. */
export type ExpenseApprovedEvent = CanonicalEvent<'expense.approved', 1>;
/** An `invoice.posted` v1 event. */
export type InvoicePostedEvent = CanonicalEvent<'invoice.posted', 1>;
/** A `milestone.completed` v1 event. */
export type MilestoneCompletedEvent = CanonicalEvent<'milestone.completed', 1>;
/** A `payment.received` v1 event. */
export type PaymentReceivedEvent = CanonicalEvent<'payment.received', 1>;
