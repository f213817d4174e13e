import { printCliError, resolveTarget, targetOptionsHelp } from '../../core/cli-options';
import { DEFAULT_TABLE_NAME } from '../../core/config';

describe('resolveTarget', () => {
  it('takes the options over the environment', () => {
    const env = { DYNAMODB_ENDPOINT: 'http://env:8000', TABLE_NAME: 'env-table', AWS_REGION: 'us-east-1' };

    expect(
      resolveTarget({ endpoint: 'http://option:8000', table: 'option-table', region: 'eu-west-1' }, env),
    ).toEqual({
      endpoint: 'http://option:8000',
      region: 'eu-west-1',
      tableName: 'option-table',
      where: 'table option-table at http://option:8000',
    });
  });

  it('falls back to $DYNAMODB_ENDPOINT, $TABLE_NAME and $AWS_REGION', () => {
    const env = { DYNAMODB_ENDPOINT: 'http://env:8000', TABLE_NAME: 'env-table', AWS_REGION: 'us-east-1' };

    expect(resolveTarget({}, env)).toEqual({
      endpoint: 'http://env:8000',
      region: 'us-east-1',
      tableName: 'env-table',
      where: 'table env-table at http://env:8000',
    });
  });

  it('means AWS and the default table when nothing is set, empty variables counting as unset', () => {
    expect(resolveTarget({}, { DYNAMODB_ENDPOINT: '', TABLE_NAME: ' ' })).toEqual({
      endpoint: undefined,
      region: undefined,
      tableName: DEFAULT_TABLE_NAME,
      where: `table ${DEFAULT_TABLE_NAME} at AWS`,
    });
    expect(resolveTarget({ region: 'eu-west-1' }, {}).where).toBe(
      `table ${DEFAULT_TABLE_NAME} at AWS eu-west-1`,
    );
  });
});

describe('targetOptionsHelp', () => {
  it('starts every description, continuation lines included, at the given column', () => {
    const lines = targetOptionsHelp(26).split('\n');

    expect(lines).toEqual([
      '  --endpoint URL          DynamoDB endpoint, e.g. http://localhost:8000 (default: $DYNAMODB_ENDPOINT,',
      '                          else AWS with the default credential chain)',
      `  --table NAME            table name (default: $TABLE_NAME, else ${DEFAULT_TABLE_NAME})`,
      '  --region R              AWS region (default: $AWS_REGION)',
    ]);
  });
});

describe('printCliError', () => {
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    stderr = jest.spyOn(console, 'error').mockImplementation(() => {});
  });

  afterEach(() => {
    stderr.mockRestore();
  });

  it('prints an error as `error: <message>` without its class name, then the hint', () => {
    printCliError(new TypeError('bad input'), 'Run npm run query -- --help for the options.');

    expect(stderr).toHaveBeenCalledWith('error: bad input\nRun npm run query -- --help for the options.');
  });

  it('prints a message given as text the same way', () => {
    printCliError('expected exactly one customer_id');

    expect(stderr).toHaveBeenCalledWith('error: expected exactly one customer_id');
  });
});
