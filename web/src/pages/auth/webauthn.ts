/**
 * The browser side of passkeys: the API's options (WebAuthn's JSON form, binary values as
 * base64url) become `navigator.credentials.create()` / `.get()` arguments, and the
 * authenticator's answer goes back as `PublicKeyCredential.toJSON()` would write it. Done by
 * hand rather than with `parseCreationOptionsFromJSON`, which older browsers lack.
 */

export type JsonObject = Record<string, unknown>;

export function base64urlToBuffer(value: string): ArrayBuffer {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function bufferToBase64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = '';
  bytes.forEach((byte) => {
    binary += String.fromCharCode(byte);
  });
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

interface Descriptor {
  id: string;
  type: string;
  transports?: string[];
}

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] {
  if (!Array.isArray(list)) return [];
  return (list as Descriptor[]).map((d) => ({
    id: base64urlToBuffer(d.id),
    type: 'public-key',
    ...(d.transports ? { transports: d.transports as AuthenticatorTransport[] } : {}),
  }));
}

export function creationOptions(json: JsonObject): PublicKeyCredentialCreationOptions {
  const user = json.user as { id: string; name: string; displayName: string };
  return {
    ...(json as unknown as PublicKeyCredentialCreationOptions),
    challenge: base64urlToBuffer(json.challenge as string),
    user: { id: base64urlToBuffer(user.id), name: user.name, displayName: user.displayName },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

export function requestOptions(json: JsonObject): PublicKeyCredentialRequestOptions {
  return {
    ...(json as unknown as PublicKeyCredentialRequestOptions),
    challenge: base64urlToBuffer(json.challenge as string),
    allowCredentials: descriptors(json.allowCredentials),
  };
}

function attachment(credential: PublicKeyCredential): 'platform' | 'cross-platform' | undefined {
  const value = credential.authenticatorAttachment;
  return value === 'platform' || value === 'cross-platform' ? value : undefined;
}

/** A new credential as the API's `credential` body. */
export function registrationJson(credential: PublicKeyCredential) {
  const response = credential.response as AuthenticatorAttestationResponse;
  const transports = typeof response.getTransports === 'function' ? response.getTransports() : [];
  return {
    id: credential.id,
    rawId: bufferToBase64url(credential.rawId),
    type: 'public-key' as const,
    authenticatorAttachment: attachment(credential),
    clientExtensionResults: {},
    response: {
      clientDataJSON: bufferToBase64url(response.clientDataJSON),
      attestationObject: bufferToBase64url(response.attestationObject),
      transports,
    },
  };
}

/** An assertion as the API's `credential` body. */
export function authenticationJson(credential: PublicKeyCredential) {
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: bufferToBase64url(credential.rawId),
    type: 'public-key' as const,
    authenticatorAttachment: attachment(credential),
    clientExtensionResults: {},
    response: {
      clientDataJSON: bufferToBase64url(response.clientDataJSON),
      authenticatorData: bufferToBase64url(response.authenticatorData),
      signature: bufferToBase64url(response.signature),
      ...(response.userHandle && response.userHandle.byteLength ? { userHandle: bufferToBase64url(response.userHandle) } : {}),
    },
  };
}

/** Thrown when the person closes the browser's passkey dialog or it times out. */
export class PasskeyCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'PasskeyCancelled';
  }
}

function rethrow(error: unknown): never {
  if (error instanceof DOMException && (error.name === 'NotAllowedError' || error.name === 'AbortError')) throw new PasskeyCancelled();
  throw error;
}

export async function createPasskey(options: JsonObject) {
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  } catch (error) {
    rethrow(error);
  }
  if (!credential) throw new PasskeyCancelled();
  return registrationJson(credential as PublicKeyCredential);
}

export async function getPasskey(options: JsonObject) {
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  } catch (error) {
    rethrow(error);
  }
  if (!credential) throw new PasskeyCancelled();
  return authenticationJson(credential as PublicKeyCredential);
}
