import {
  SmtpError,
  isPermanentSmtpFailure,
} from '../../../services/processor/src/adapters/notifications/smtp';

describe('isPermanentSmtpFailure', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550 }, true],
    [{ code: 'EENVELOPE', responseCode: 451 }, false],
    [{ code: 'EMESSAGE', responseCode: 552 }, true],
    [{ code: 'EMESSAGE', responseCode: 421 }, false],
    [{ code: 'EAUTH', responseCode: 535 }, true],
    [{ code: 'EAUTH', responseCode: 454 }, false], // temporary authentication failure
    [{ code: 'EAUTH' }, true],
    [{ code: 'ETLS', responseCode: 454 }, true], // STARTTLS required, refused: never fall back
    [{ code: 'ETLS', responseCode: 502 }, true],
    [{ code: 'ETLS' }, true],
    [{ code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, true],
    [{ code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED' }, true],
    [{ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }, true],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, false],
    [{ code: 'ESOCKET' }, false],
    [{ code: 'ETIMEDOUT' }, false],
    [{ code: 'ECONNECTION', responseCode: 421 }, false],
    [{ code: 'EDNS' }, false],
    [{}, false],
  ])('%j → permanent %s', (failure, permanent) => {
    expect(isPermanentSmtpFailure(failure)).toBe(permanent);
  });

  it('is carried by SmtpError with the codes it was decided from', () => {
    const err = new SmtpError('550 5.1.1 No such user', { code: 'EENVELOPE', responseCode: 550 });
    expect(err).toMatchObject({ name: 'SmtpError', permanent: true, code: 'EENVELOPE', responseCode: 550 });
  });
});
