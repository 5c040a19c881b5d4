import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, parseSource } from '@flowline/process-model';
import { isLastPage, stepAt } from './page-position';

const parsed = parseSource(readFileSync(path.resolve(__dirname, '../../../../examples/customer-survey.dialog.yaml'), 'utf8'), 'yaml');
if (!parsed.ok) throw new Error('the survey example does not parse');
const survey = compileDefinition(parsed.value, DEFAULT_ENTITIES).definition as unknown as Record<string, unknown>;

describe('isLastPage', () => {
  it('knows a page that branches lead on from is not the last', () => {
    expect(stepAt(survey, '$.steps[0]')?.['id']).toBe('satisfaction');
    expect(isLastPage(survey, '$.steps[0]')).toBe(false);
  });

  it('knows pages that only record actions follow are the last, in every branch', () => {
    expect(stepAt(survey, '$.steps[1].branches[0].steps[0]')?.['id']).toBe('what-went-wrong');
    expect(isLastPage(survey, '$.steps[1].branches[0].steps[0]')).toBe(true);
    expect(stepAt(survey, '$.steps[1].branches[1].steps[1]')?.['id']).toBe('call-back');
    expect(isLastPage(survey, '$.steps[1].branches[1].steps[1]')).toBe(true);
    expect(stepAt(survey, '$.steps[1].otherwise[0]')?.['id']).toBe('thanks');
    expect(isLastPage(survey, '$.steps[1].otherwise[0]')).toBe(true);
  });

  it('looks past the end of a stage or branch to the steps after it, and counts a linked dialog as more to come', () => {
    const root = {
      steps: [
        { id: 'intro', type: 'stage', steps: [{ id: 'p1', type: 'page' }] },
        { id: 'c', type: 'condition', branches: [{ when: 'true', steps: [{ id: 'p2', type: 'page' }] }], otherwise: [] },
        { id: 'more', type: 'linkChildDialog', dialog: 'next' },
      ],
    };
    expect(isLastPage(root, '$.steps[0].steps[0]')).toBe(false);
    expect(isLastPage(root, '$.steps[1].branches[0].steps[0]')).toBe(false);
    expect(isLastPage({ steps: [{ id: 'only', type: 'page' }] }, '$.steps[0]')).toBe(true);
  });
});
