import { sameQuantity } from '../../../services/operator/src/domain/quantity';

/** Pairs as a spec may write them and as the API server stores them (k8s.io/apimachinery canonical form). */
describe('sameQuantity', () => {
  it.each<[unknown, unknown]>([
    [0.5, '500m'],
    ['0.5', '500m'],
    ['1000m', '1'],
    [1, '1'],
    [2, '2000m'],
    ['0.5Gi', '512Mi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['1Gi', 1073741824],
    ['1e3', '1k'],
    ['1E3', '1k'],
    ['1.5', '1500m'],
    ['.25', '250m'],
    ['100M', '100M'],
    ['0.1', '100m'],
    ['1e-3', '1m'],
    ['0', '0'],
    ['0.0000000001', '1n'], // finer than a nano: the API server rounds up
  ])('%p is the same amount as %p', (spec, stored) => {
    expect(sameQuantity(stored, spec)).toBe(true);
    expect(sameQuantity(spec, stored)).toBe(true);
  });

  it.each<[unknown, unknown]>([
    ['500m', '501m'],
    ['1Gi', '1G'],
    ['1Mi', '1M'],
    [0.5, '5'],
    ['1E', '1'], // exa, not an exponent without digits
    ['2', '-2'],
  ])('%p is not the same amount as %p', (a, b) => {
    expect(sameQuantity(a, b)).toBe(false);
  });

  it('compares what is not a quantity by its text', () => {
    expect(sameQuantity('lots', 'lots')).toBe(true);
    expect(sameQuantity('lots', 'few')).toBe(false);
    expect(sameQuantity('1', 'lots')).toBe(false);
  });
});
