import { goalLabel } from './NewInitiativeDialog';

describe('goalLabel', () => {
  it('says what each kind of goal asks, whatever value the API was given', () => {
    expect(goalLabel({ kind: 'level', value: 'gold' })).toBe(
      'Level gold or better',
    );
    expect(goalLabel({ kind: 'check', value: 'no-ssh' })).toBe(
      'Check "no-ssh" passing',
    );
    expect(goalLabel({ kind: 'driftLifetime', value: 60 })).toBe(
      'Drift lives at most 1 hour (p95, 30 days)',
    );
    expect(goalLabel({ kind: 'driftLifetime', value: 180 })).toBe(
      'Drift lives at most 3 hours (p95, 30 days)',
    );
    expect(goalLabel({ kind: 'driftLifetime', value: 2880 })).toBe(
      'Drift lives at most 2 days (p95, 30 days)',
    );
    expect(goalLabel({ kind: 'driftLifetime', value: 45 })).toBe(
      'Drift lives at most 45 minutes (p95, 30 days)',
    );
    expect(goalLabel({ kind: 'erasedShare', value: 0.9 })).toBe(
      '90% of drift erased automatically (30 days)',
    );
  });
});
