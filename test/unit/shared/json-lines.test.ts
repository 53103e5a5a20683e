import { repeatedTopLevelKeys } from '../../support/json-lines';

describe('repeatedTopLevelKeys (the log-line check of the service tests)', () => {
  it('finds a key written twice at the top level, as pino writes a repeated child binding', () => {
    expect(
      repeatedTopLevelKeys('{"level":"info","component":"processor","component":"storage","msg":"x"}'),
    ).toEqual(['component']);
  });

  it('ignores the same key in nested objects and arrays, and quotes and colons inside strings', () => {
    expect(
      repeatedTopLevelKeys(
        '{"component":"a","err":{"component":"b","stack":"at \\"x\\": y"},"list":[{"component":"c"}],"msg":"component\\":"}',
      ),
    ).toEqual([]);
  });
});
