import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MASKED_FIELDS, MaskingLogFormatter, maskEmails, maskingOptionsFromEnv } from '../../../lambdas/common/log-masking';

/**
 * A real Powertools logger whose lines are kept instead of written to stdout: the same log item, the
 * same JSON serializer (errors, bigints, circular references), and children that keep to the same list.
 */
class CapturingLogger extends Logger {
  constructor(
    readonly lines: string[],
    options: ConstructorOptions = {},
  ) {
    super(options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    this.lines.push(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new CapturingLogger(this.lines, options);
  }
}

function capture(formatter: MaskingLogFormatter | undefined, write: (logger: Logger) => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const logger = new CapturingLogger(lines, { serviceName: 'ps-sync', logLevel: 'DEBUG', ...(formatter ? { logFormatter: formatter } : {}) });
  write(logger);
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

const masked = (write: (logger: Logger) => void, options?: ConstructorParameters<typeof MaskingLogFormatter>[0]) =>
  capture(new MaskingLogFormatter(options), write);

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'CreateErpCustomer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:CreateErpCustomer',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/CreateErpCustomer',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 1000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

describe('MaskingLogFormatter', () => {
  it('masks personal data at any depth, in objects and arrays, and keeps the key', () => {
    const [line] = masked((logger) =>
      logger.info('Customer created', {
        correlationId: 'corr-1',
        dealId: '9001',
        deal: { dealname: 'Globex rollout', amount: '125000', properties: { DealName: 'Globex rollout', hs_object_id: '9001' } },
        company: {
          name: 'Globex Corporation',
          companyName: 'Globex Corporation',
          billing_address: { street: '1 Main St', city: 'Springfield' },
          'postal-code': '12345',
          Zip: '12345',
          addr1: '1 Main St',
          addr2: 'Suite 2',
          addressBook: [{ addr1: '1 Main St' }],
        },
        contacts: [
          { firstName: 'Ada', last_name: 'Byron', Email: 'ada@example.com', phone: '+1 555 0100', mobile: '+1 555 0101' },
          { full_name: 'Grace Hopper', displayName: 'Grace', contactName: 'Grace', customerName: 'Navy' },
        ],
        bank: { IBAN: 'DE89370400440532013000', bic: 'COBADEFFXXX', accountNumber: '123', routing_number: '021000021', bankAccount: '1' },
        tax: { taxId: '12-3456789', vat_number: 'GB123', SSN: '078-05-1120', nationalId: 'X1' },
      }),
    );

    expect(line).toMatchObject({
      message: 'Customer created',
      correlationId: 'corr-1',
      dealId: '9001',
      deal: { dealname: '***', amount: '125000', properties: { DealName: '***', hs_object_id: '9001' } },
      company: {
        name: '***',
        companyName: '***',
        billing_address: '***',
        'postal-code': '***',
        Zip: '***',
        addr1: '***',
        addr2: '***',
        addressBook: '***',
      },
      contacts: [
        { firstName: '***', last_name: '***', Email: '***', phone: '***', mobile: '***' },
        { full_name: '***', displayName: '***', contactName: '***', customerName: '***' },
      ],
      bank: { IBAN: '***', bic: '***', accountNumber: '***', routing_number: '***', bankAccount: '***' },
      tax: { taxId: '***', vat_number: '***', SSN: '***', nationalId: '***' },
    });
    const text = JSON.stringify(line);
    for (const secret of ['Globex', 'Springfield', 'Main St', 'Byron', 'example.com', '555', 'DE89', '078-05']) expect(text).not.toContain(secret);
  });

  it('masks every default field, whatever its case and separators', () => {
    const fields = Object.fromEntries(MASKED_FIELDS.map((f) => [f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).toUpperCase(), 'secret']));
    const [line] = masked((logger) => logger.info('all fields', { record: fields }));
    expect(Object.values(line!.record as Record<string, unknown>)).toEqual(MASKED_FIELDS.map(() => '***'));
  });

  it('keeps what operators search by: correlation ids, executions, ids, reasons, statuses, vendors, instances, workflows', () => {
    const keys = {
      correlationId: 'corr-1',
      execution: 'hubspot-main-9001-r1',
      dealId: '9001',
      entityId: 'deal:9001',
      externalId: 'NS-42',
      recordId: 'a0X1',
      messageId: 'm-1',
      reason: 'NetSuite refused the customer',
      errorType: 'VendorRejectedError',
      statusCode: 422,
      status: 'synced',
      outcome: 'created',
      vendor: 'netsuite',
      instance: 'netsuite-us',
      instanceName: 'netsuite-us',
      workflow: 'opportunity-to-project',
      legalEntityId: 'acme-us',
      poll: 'kantata-time',
      invoiceNumber: 'INV-7',
    };
    const [line] = masked((logger) => {
      logger.appendKeys({ correlationId: keys.correlationId, execution: keys.execution });
      logger.warn('Step failed', { ...keys, nested: keys });
    });
    expect(line).toMatchObject({ ...keys, nested: keys });
  });

  it('masks e-mail addresses in any text, the message and error messages included', () => {
    const [line] = masked((logger) =>
      logger.error('Vendor echoed billing@globex.example in its answer', {
        reason: 'Duplicate contact: ada.byron+crm@example.co.uk already exists',
        notes: ['call first.last@sub.example.org'],
        error: new Error('NetSuite: customer ops@globex.com exists'),
      }),
    );
    expect(line).toMatchObject({
      message: 'Vendor echoed ***@*** in its answer',
      reason: 'Duplicate contact: ***@*** already exists',
      notes: ['call ***@***'],
      error: { name: 'Error', message: 'NetSuite: customer ***@*** exists' },
    });
    expect(JSON.stringify(line)).not.toMatch(/globex\.|example\./);
    expect(maskEmails('no address here: a@b, user@localhost')).toBe('no address here: a@b, user@localhost');
  });

  it('masks inside texts that hold JSON, as record bodies and vendor answers do, and leaves other texts as they are', () => {
    const body = JSON.stringify({
      detail: { correlationId: 'corr-1', payload: { account: { crmId: 'c-1', name: 'Globex', billingAddress: { city: 'Springfield' } } } },
    });
    const [line] = masked((logger) =>
      logger.debug('Record', { record: { messageId: 'm-1', body }, answer: ' [{"email":"ops@globex.com","id":7}]', ids: '{ "id": 1 }', note: '{not json' }),
    );

    expect(JSON.parse((line!.record as { body: string }).body)).toEqual({
      detail: { correlationId: 'corr-1', payload: { account: { crmId: 'c-1', name: '***', billingAddress: '***' } } },
    });
    expect(line).toMatchObject({ record: { messageId: 'm-1' }, answer: '[{"email":"***","id":7}]', ids: '{ "id": 1 }', note: '{not json' });
  });

  it('keeps amounts by default and masks them when the deployment asks', () => {
    const amounts = {
      amount: '125000',
      total: 99.5,
      unitPrice: 165.5,
      price: '275',
      amountInCents: 1250,
      moneyAtStake: { amountMinor: 500, currency: 'USD' },
      dealId: '9001',
    };
    const [kept] = masked((logger) => logger.info('Invoice', { invoice: amounts }));
    const [hidden] = masked((logger) => logger.info('Invoice', { invoice: amounts }), { maskAmounts: true });

    expect(kept!.invoice).toEqual(amounts);
    expect(hidden!.invoice).toEqual({
      amount: '***',
      total: '***',
      unitPrice: '***',
      price: '***',
      amountInCents: '***',
      moneyAtStake: { amountMinor: '***', currency: 'USD' },
      dealId: '9001',
    });
  });

  it("masks a webhook's changed value whatever property changed", () => {
    const [line] = masked((logger) => logger.info('Webhook', { events: [{ objectId: 9001, propertyName: 'dealname', propertyValue: 'Globex rollout' }] }));
    expect(line!.events).toEqual([{ objectId: 9001, propertyName: 'dealname', propertyValue: '***' }]);
  });

  it("masks a deployment's extra fields, matched as the default ones", () => {
    const [line] = masked((logger) => logger.info('Project', { project: { ps_internal_note: 'VIP', 'Cost-Center': 'CC-1', code: 'P-1' } }), {
      extraFields: ['psInternalNote', 'cost_center'],
    });
    expect(line!.project).toEqual({ ps_internal_note: '***', 'Cost-Center': '***', code: 'P-1' });
  });

  it('formats errors as Powertools does, masking their personal attributes but not their name, message or stack', () => {
    const cause = Object.assign(new Error('HTTP 400'), { statusCode: 400, body: { email: 'ada@example.com', field: 'companyname' } });
    const error = Object.assign(new TypeError('Customer refused', { cause }), { entityId: 'deal:9001', companyName: 'Globex' });

    const [line] = masked((logger) => logger.error('Step failed', error));

    expect(line!.error).toMatchObject({
      name: 'TypeError',
      message: 'Customer refused',
      location: expect.any(String),
      stack: expect.stringContaining('TypeError: Customer refused'),
      entityId: 'deal:9001',
      companyName: '***',
      cause: { name: 'Error', message: 'HTTP 400', statusCode: 400, body: { email: '***', field: 'companyname' } },
    });
  });

  it('keeps the JSON shape of the default Powertools formatter', () => {
    const failure = new RangeError('out of range');
    const write = (logger: Logger) => {
      logger.addContext(context);
      logger.appendKeys({ correlationId: 'corr-1' });
      logger.info('Step done', { outcome: 'ok', count: 2n, at: new Date('2026-01-01T00:00:00Z'), empty: '', nothing: null });
      logger.error('Step failed', failure);
      logger.debug('extra', 'a string');
    };
    const withoutTime = (lines: Record<string, unknown>[]) => lines.map(({ timestamp, ...rest }) => ({ ...rest, timestamp: typeof timestamp }));

    const ours = capture(new MaskingLogFormatter(), write);
    const theirs = capture(undefined, write);

    expect(withoutTime(ours)).toEqual(withoutTime(theirs));
    expect(ours.map((l) => Object.keys(l))).toEqual(theirs.map((l) => Object.keys(l)));
    expect(ours[0]).toMatchObject({
      level: 'INFO',
      message: 'Step done',
      service: 'ps-sync',
      cold_start: expect.any(Boolean),
      function_name: 'CreateErpCustomer',
      function_request_id: 'req-1',
      correlationId: 'corr-1',
      outcome: 'ok',
      count: '2',
      at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('does not change what the caller logged, and leaves circular references out as Powertools does', () => {
    const company: Record<string, unknown> = { name: 'Globex', id: 'c-1' };
    company.self = company;
    const [line] = masked((logger) => logger.info('Company', { company }));

    expect(line!.company).toEqual({ name: '***', id: 'c-1' });
    expect(company.name).toBe('Globex');
  });

  it('masks the lines of child loggers too', () => {
    const [line] = masked((logger) => {
      const child = logger.createChild();
      child.appendKeys({ messageId: 'm-1', correlationId: 'corr-1' });
      child.info('Record handled', { customer: { name: 'Globex', email: 'ops@globex.com' } });
    });
    expect(line).toMatchObject({ messageId: 'm-1', correlationId: 'corr-1', customer: { name: '***', email: '***' } });
  });
});

describe('maskingOptionsFromEnv', () => {
  it('reads the extra fields and the amounts switch, and defaults to neither', () => {
    expect(maskingOptionsFromEnv({})).toEqual({ extraFields: [], maskAmounts: false });
    expect(maskingOptionsFromEnv({ LOG_MASK_FIELDS: ' costCenter, ,ps_note ', LOG_MASK_AMOUNTS: 'TRUE' })).toEqual({
      extraFields: ['costCenter', 'ps_note'],
      maskAmounts: true,
    });
    expect(maskingOptionsFromEnv({ LOG_MASK_AMOUNTS: 'false' }).maskAmounts).toBe(false);
  });
});
