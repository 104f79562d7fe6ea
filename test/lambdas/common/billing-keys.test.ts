import { describe, expect, it } from 'vitest';
import { invoiceDocumentNumber, invoiceGlobalId, ourInvoiceGlobalId } from '../../../lambdas/common/billing-keys';

describe('billing keys', () => {
  it('name an invoice by a 34-character document number where the ERP field is short, and find its global id again from it', () => {
    const externalId = '6f1c2a9e-3b4d-4e5f-8a7b-0c1d2e3f4a5b:2026-11-01';
    const number = invoiceDocumentNumber(externalId);

    expect(number).toMatch(/^PS[0-9A-F]{32}$/);
    expect(number.length).toBeLessThanOrEqual(35);
    expect(ourInvoiceGlobalId(number)).toBe(invoiceGlobalId(externalId));
    expect(ourInvoiceGlobalId(externalId)).toBe(invoiceGlobalId(externalId));
    expect(invoiceDocumentNumber(externalId.replace('11-01', '12-01'))).not.toBe(number);
    for (const foreign of ['INV-1001', 'PS123', `PS${'G'.repeat(32)}`, undefined]) expect(ourInvoiceGlobalId(foreign)).toBeUndefined();
  });
});
