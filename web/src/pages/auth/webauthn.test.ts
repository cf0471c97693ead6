import { translatePasskey } from './passkeyI18n';
import { base64urlToBuffer, bufferToBase64url, creationOptions, registrationJson, requestOptions } from './webauthn';

const bytes = (...values: number[]) => new Uint8Array(values).buffer;

describe('base64url', () => {
  it('round-trips every byte value without padding', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const text = bufferToBase64url(all.buffer);
    expect(text).not.toMatch(/[+/=]/);
    expect(new Uint8Array(base64urlToBuffer(text))).toEqual(all);
    expect(bufferToBase64url(bytes(0xfb, 0xff))).toBe('-_8');
  });
});

describe('options', () => {
  it('turn the API JSON into what navigator.credentials expects', () => {
    const created = creationOptions({
      rp: { id: 'localhost', name: 'Brain' },
      user: { id: 'AQI', name: 'ada@example.com', displayName: 'Ada' },
      challenge: 'AwQ',
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeCredentials: [{ id: 'BQY', type: 'public-key', transports: ['internal'] }],
    });
    expect(new Uint8Array(created.user.id as ArrayBuffer)).toEqual(new Uint8Array([1, 2]));
    expect(new Uint8Array(created.challenge as ArrayBuffer)).toEqual(new Uint8Array([3, 4]));
    expect(created.excludeCredentials?.[0]?.transports).toEqual(['internal']);
    expect(created.rp).toEqual({ id: 'localhost', name: 'Brain' });
    const requested = requestOptions({ challenge: 'AwQ', rpId: 'localhost', userVerification: 'required' });
    expect(requested.allowCredentials).toEqual([]);
    expect(requested.userVerification).toBe('required');
  });

  it('write a new credential as toJSON() does', () => {
    const credential = {
      id: 'Y3JlZA',
      rawId: bytes(99, 114, 101, 100),
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      response: { clientDataJSON: bytes(123, 125), attestationObject: bytes(160), getTransports: () => ['usb'] },
    } as unknown as PublicKeyCredential;
    expect(registrationJson(credential)).toEqual({
      id: 'Y3JlZA',
      rawId: 'Y3JlZA',
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
      response: { clientDataJSON: 'e30', attestationObject: 'oA', transports: ['usb'] },
    });
  });
});

describe('passkey strings', () => {
  it('exist in Spanish with the same placeholders', () => {
    expect(translatePasskey('en', 'passkey.renameLabel', { name: 'Phone' })).toBe('New name for Phone');
    expect(translatePasskey('es', 'passkey.renameLabel', { name: 'Teléfono' })).toBe('Nuevo nombre para Teléfono');
    expect(translatePasskey('es', 'sso.domainEnforced', { organization: 'Acme' })).toContain('Acme exige');
  });
});
