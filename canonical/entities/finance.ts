import { z } from 'zod';
import { CurrencyCode, GlobalId, IsoDate, Money, NonNegativeDecimal } from '../primitives';
import { EntityBase, mergedIntoRule } from './common';

/** An invoice line: what was billed, in the contract currency. */
export const InvoiceLine = z.strictObject({
  description: z.string().min(1),
  quantity: NonNegativeDecimal.optional(),
  unitPrice: NonNegativeDecimal.optional(),
  amount: Money,
  /** The time entries, expenses or milestone this line bills. */
  sourceGlobalIds: z.array(GlobalId).default([]),
});
/** An invoice line. */
export type InvoiceLine = z.infer<typeof InvoiceLine>;

/** An invoice as posted in the ERP. Totals are sums of rounded lines, in one currency. */
export const Invoice = EntityBase.extend({
  customerGlobalId: GlobalId,
  contractGlobalId: GlobalId,
  legalEntityId: z.string().min(1),
  /** Assigned by the ERP. */
  invoiceNumber: z.string().min(1).optional(),
  periodStart: IsoDate,
  periodEnd: IsoDate,
  currency: CurrencyCode,
  lines: z.array(InvoiceLine).min(1),
  subtotal: Money,
  tax: Money,
  total: Money,
  postingDate: IsoDate.optional(),
  state: z.enum(['draft', 'posted', 'paid', 'void']),
})
  .superRefine(mergedIntoRule)
  .superRefine((invoice, ctx) => {
    const amounts = [...invoice.lines.map((l) => l.amount), invoice.subtotal, invoice.tax, invoice.total];
    if (amounts.some((m) => m.currency !== invoice.currency))
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'every amount is in the invoice currency' });
    const lineSum = invoice.lines.reduce((sum, l) => sum + l.amount.amountMinor, 0);
    if (lineSum !== invoice.subtotal.amountMinor)
      ctx.addIssue({ code: 'custom', path: ['subtotal'], message: `subtotal ${invoice.subtotal.amountMinor} is not the sum of the lines ${lineSum}` });
    if (invoice.subtotal.amountMinor + invoice.tax.amountMinor !== invoice.total.amountMinor)
      ctx.addIssue({ code: 'custom', path: ['total'], message: 'total is subtotal plus tax' });
  });
/** An invoice. */
export type Invoice = z.infer<typeof Invoice>;

/** What has been paid against an invoice, as the ERP reports it. */
export const PaymentStatus = EntityBase.extend({
  invoiceGlobalId: GlobalId,
  amountPaid: Money,
  amountDue: Money,
  state: z.enum(['unpaid', 'partially-paid', 'paid']),
  paidOn: IsoDate.optional(),
}).superRefine(mergedIntoRule);
/** A payment status. */
export type PaymentStatus = z.infer<typeof PaymentStatus>;

/** A legal entity (financial dimension). */
export const LegalEntity = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  functionalCurrency: CurrencyCode,
  country: z.string().regex(/^[A-Z]{2}$/),
});
/** A subsidiary of a legal entity, as the ERP structures it. */
export const Subsidiary = z.strictObject({ id: z.string().min(1), name: z.string().min(1), legalEntityId: z.string().min(1) });
/** A cost centre, owned by HCM. */
export const CostCentre = z.strictObject({ code: z.string().min(1), name: z.string().min(1), legalEntityId: z.string().min(1) });
/** A tax profile: the ERP decides tax; we only carry the code. */
export const TaxProfile = z.strictObject({
  code: z.string().min(1),
  description: z.string().min(1),
  country: z.string().regex(/^[A-Z]{2}$/),
  ratePercent: NonNegativeDecimal.optional(),
});
