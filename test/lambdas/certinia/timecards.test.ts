import { describe, expect, it } from 'vitest';
import { UnreadableCertiniaRecordError } from '../../../lambdas/certinia/approved-work';
import { explodeTimecard } from '../../../lambdas/certinia/timecards';

describe('explodeTimecard', () => {
  it('turns a weekly header into one entry per day of the week, dated from the start day, a day without hours as 0', () => {
    const entries = explodeTimecard({
      Id: 'a0T000000000001',
      pse__Start_Date__c: '2026-11-15', // a Sunday
      pse__Sunday_Hours__c: 0,
      pse__Monday_Hours__c: 8,
      pse__Tuesday_Hours__c: '7.5',
      pse__Wednesday_Hours__c: null,
      pse__Thursday_Hours__c: 0.25,
      pse__Friday_Hours__c: 4,
    });

    expect(entries).toEqual([
      { id: 'a0T000000000001:2026-11-15', workDate: '2026-11-15', hours: '0' },
      { id: 'a0T000000000001:2026-11-16', workDate: '2026-11-16', hours: '8' },
      { id: 'a0T000000000001:2026-11-17', workDate: '2026-11-17', hours: '7.5' },
      { id: 'a0T000000000001:2026-11-18', workDate: '2026-11-18', hours: '0' },
      { id: 'a0T000000000001:2026-11-19', workDate: '2026-11-19', hours: '0.25' },
      { id: 'a0T000000000001:2026-11-20', workDate: '2026-11-20', hours: '4' },
      { id: 'a0T000000000001:2026-11-21', workDate: '2026-11-21', hours: '0' },
    ]);
  });

  it('keeps a day corrected to zero, under the same id, so the newer version replaces its hours', () => {
    const approved = explodeTimecard({ Id: 'a0T000000000002', pse__Start_Date__c: '2026-11-15', pse__Monday_Hours__c: 8, pse__Tuesday_Hours__c: 8 });
    const corrected = explodeTimecard({ Id: 'a0T000000000002', pse__Start_Date__c: '2026-11-15', pse__Monday_Hours__c: 8, pse__Tuesday_Hours__c: 0 });

    const tuesday = (entries: typeof approved) => entries.find((e) => e.workDate === '2026-11-17');
    expect(tuesday(approved)).toEqual({ id: 'a0T000000000002:2026-11-17', workDate: '2026-11-17', hours: '8' });
    expect(tuesday(corrected)).toEqual({ id: 'a0T000000000002:2026-11-17', workDate: '2026-11-17', hours: '0' });
    expect(corrected.map((e) => e.id)).toEqual(approved.map((e) => e.id));
  });

  it('writes a negative zero as 0', () => {
    expect(explodeTimecard({ Id: 'z', pse__Start_Date__c: '2026-11-15', pse__Monday_Hours__c: -0, pse__Tuesday_Hours__c: '-0.0' }).map((e) => e.hours)).toEqual(
      ['0', '0', '0', '0', '0', '0', '0'],
    );
  });

  it('maps each field to its weekday when the week starts on a Monday', () => {
    const entries = explodeTimecard({ Id: 'x', pse__Start_Date__c: '2026-11-16', pse__Monday_Hours__c: 1, pse__Sunday_Hours__c: 2 });

    expect(entries.map((e) => [e.workDate, e.hours])).toEqual([
      ['2026-11-16', '1'],
      ['2026-11-17', '0'],
      ['2026-11-18', '0'],
      ['2026-11-19', '0'],
      ['2026-11-20', '0'],
      ['2026-11-21', '0'],
      ['2026-11-22', '2'],
    ]);
  });

  it('refuses hours that are not a decimal number as an unreadable record, naming the timecard and day', () => {
    const explode = () => explodeTimecard({ Id: 'bad', pse__Start_Date__c: '2026-11-15', pse__Monday_Hours__c: 'eight' });

    expect(explode).toThrow(UnreadableCertiniaRecordError);
    expect(explode).toThrow(/Timecard bad has hours "eight" on Monday/);
  });

  it('refuses a header without a readable start date as an unreadable record', () => {
    expect(() => explodeTimecard({ Id: 'undated', pse__Start_Date__c: 'soon' })).toThrow(UnreadableCertiniaRecordError);
  });
});
