import { describe, expect, it } from 'vitest';
import { PolicyBook } from './book.ts';

describe('the parameters a measure reads', () => {
  const book = PolicyBook.load();
  const names = (measure: string) => book.measureParameters(measure).map((p) => p.decl.name);

  it('finds them in the formulas and in the document’s validity, with their declarations', () => {
    expect(names('guangzhou.renovation')).toEqual(['guangzhou.renovationRate']);
    expect(names('guangzhou.lead-unit')).toEqual(['guangzhou.leadUnitRate']);
    // 鹤壁's plan is valid "自发布之日起": every one of its measures reads the publication day.
    expect(names('hebi.renovation')).toEqual(['hebi.publishedOn']);
    expect(names('yongkang.nx-renovation')).toEqual(['yongkang.generalItProjectRate']);
    expect(names('haishu.national-pilot-renovation')).toEqual([]);
    expect(names('no.such-measure')).toEqual([]);
    expect(book.measureParameters('guangzhou.renovation')[0]).toMatchObject({
      decl: { kind: 'rate', article: '四(二)5', meaning: '试点改造企业按核定投入补助的“一定比例”' },
      doc: { documentNumber: '穗工信函〔2024〕94号' },
    });
  });
});
