import { namedStatement } from '../../../services/shared/src/db/statement';

describe('namedStatement', () => {
  it('sends the text under its name with the values given', () => {
    const statement = namedStatement('test_named_a', 'SELECT $1::int + $2::int AS n');
    expect(statement([1, 2])).toEqual({
      name: 'test_named_a',
      text: 'SELECT $1::int + $2::int AS n',
      values: [1, 2],
    });
  });

  it('lets a module that loads twice take its name again with the same text', () => {
    namedStatement('test_named_b', 'SELECT 1');
    expect(() => namedStatement('test_named_b', 'SELECT 1')).not.toThrow();
  });

  it('refuses a name already taken by another text (node-postgres would fail on the connection later)', () => {
    namedStatement('test_named_c', 'SELECT 1');
    expect(() => namedStatement('test_named_c', 'SELECT 2')).toThrow(
      'statement name test_named_c is taken by another text',
    );
  });
});
