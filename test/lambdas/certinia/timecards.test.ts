import { describe, expect, it } from 'vitest';
import { explodeTimecard } from '../../../lambdas/certinia/timecards';

describe('explodeTimecard', () => {
  it('turns a weekly header into one entry per day with hours, dated from the start day', () => {
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
      { id: 'a0T000000000001:2026-11-16', workDate: '2026-11-16', hours: '8' },
      { id: 'a0T000000000001:2026-11-17', workDate: '2026-11-17', hours: '7.5' },
      { id: 'a0T000000000001:2026-11-19', workDate: '2026-11-19', hours: '0.25' },
      { id: 'a0T000000000001:2026-11-20', workDate: '2026-11-20', hours: '4' },
    ]);
  });

  it('maps each field to its weekday when the week starts on a Monday', () => {
    const entries = explodeTimecard({ Id: 'x', pse__Start_Date__c: '2026-11-16', pse__Monday_Hours__c: 1, pse__Sunday_Hours__c: 2 });

    expect(entries.map((e) => [e.workDate, e.hours])).toEqual([
      ['2026-11-16', '1'],
      ['2026-11-22', '2'],
    ]);
  });

  it('refuses hours that are not a decimal number, naming the timecard and day', () => {
    expect(() => explodeTimecard({ Id: 'bad', pse__Start_Date__c: '2026-11-15', pse__Monday_Hours__c: 'eight' })).toThrow(/Timecard bad has hours "eight" on Monday/);
  });
});
