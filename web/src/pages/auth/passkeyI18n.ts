/**
 * Strings of the passkey and SSO-discovery parts of the login and security pages, and of the
 * organization's security policy, kept next to those pages (English is the source of the
 * keys; Spanish must match, a type error otherwise). They follow the app's language.
 */
import { useCallback } from 'react';

import { useI18n, type Locale } from '../../i18n';

const en = {
  'passkey.signIn': 'Sign in with a passkey',
  'passkey.use': 'Use a passkey',
  'passkey.useCode': 'Use a code instead',
  'passkey.mfaBody': 'Confirm with one of your passkeys (fingerprint, face, screen lock or security key).',
  'passkey.waiting': 'Follow the instructions of your browser…',
  'passkey.cancelled': 'The passkey request was cancelled or timed out. Try again.',
  'passkey.unsupported': 'This browser cannot use passkeys.',
  'passkey.title': 'Passkeys',
  'passkey.intro':
    'A passkey signs you in with your fingerprint, face, screen lock or a security key, without a password, and counts as a second factor.',
  'passkey.empty': 'No passkeys yet. Add one to sign in without a password on this device.',
  'passkey.add': 'Add a passkey',
  'passkey.added': 'Passkey added.',
  'passkey.nameLabel': 'Name of the new passkey',
  'passkey.nameHint': 'For example "Work laptop" or "Phone".',
  'passkey.rename': 'Rename',
  'passkey.renameLabel': 'New name for {name}',
  'passkey.save': 'Save',
  'passkey.cancel': 'Cancel',
  'passkey.renamed': 'Passkey renamed.',
  'passkey.delete': 'Remove',
  'passkey.deleteLabel': 'Remove {name}',
  'passkey.deleted': 'Passkey removed.',
  'passkey.created': 'Added {date}',
  'passkey.lastUsed': 'Last used {date}',
  'passkey.neverUsed': 'Never used',
  'passkey.synced': 'Synced',
  'passkey.deviceBound': 'This device only',
  'passkey.listLabel': 'Your passkeys',
  'passkey.reauthTitle': 'Confirm it is you',
  'passkey.reauthBody': 'For your security, enter your password or a code from your authenticator app to continue.',
  'passkey.reauthPassword': 'Password',
  'passkey.reauthCode': 'Authenticator code',
  'passkey.reauthConfirm': 'Confirm',
  'sso.domainAvailable': '{organization} signs in with single sign-on.',
  'sso.domainEnforced': '{organization} requires single sign-on: passwords are not accepted for this address.',
  'sso.continueDomain': 'Continue with SSO',
  'orgPolicy.mfaHint': 'Members without an authenticator app or a passkey must set one up before they can open the organization.',
  'orgPolicy.idleHint': 'From 5 minutes to 24 hours (1440 minutes).',
  'orgPolicy.absoluteHint': 'From 1 hour to 30 days (720 hours); not shorter than the inactivity timeout.',
  'orgPolicy.idleTooLong': 'The inactivity timeout cannot be longer than the absolute timeout.',
  'orgPolicy.current': 'Now: {idle} minutes of inactivity, {absolute} hours at most; two-step verification {mfa}.',
  'orgPolicy.required': 'required',
  'orgPolicy.optional': 'optional',
  'orgPolicy.save': 'Save policy',
} as const;

export type PasskeyKey = keyof typeof en;

const es: Record<PasskeyKey, string> = {
  'passkey.signIn': 'Iniciar sesión con una llave de acceso',
  'passkey.use': 'Usar una llave de acceso',
  'passkey.useCode': 'Usar un código',
  'passkey.mfaBody': 'Confirma con una de tus llaves de acceso (huella, rostro, bloqueo de pantalla o llave de seguridad).',
  'passkey.waiting': 'Sigue las instrucciones de tu navegador…',
  'passkey.cancelled': 'La solicitud de la llave de acceso se canceló o caducó. Inténtalo de nuevo.',
  'passkey.unsupported': 'Este navegador no admite llaves de acceso.',
  'passkey.title': 'Llaves de acceso',
  'passkey.intro':
    'Una llave de acceso te permite entrar con tu huella, tu rostro, el bloqueo de pantalla o una llave de seguridad, sin contraseña, y cuenta como segundo factor.',
  'passkey.empty': 'Aún no tienes llaves de acceso. Añade una para entrar sin contraseña en este dispositivo.',
  'passkey.add': 'Añadir una llave de acceso',
  'passkey.added': 'Llave de acceso añadida.',
  'passkey.nameLabel': 'Nombre de la nueva llave de acceso',
  'passkey.nameHint': 'Por ejemplo «Portátil del trabajo» o «Teléfono».',
  'passkey.rename': 'Renombrar',
  'passkey.renameLabel': 'Nuevo nombre para {name}',
  'passkey.save': 'Guardar',
  'passkey.cancel': 'Cancelar',
  'passkey.renamed': 'Llave de acceso renombrada.',
  'passkey.delete': 'Quitar',
  'passkey.deleteLabel': 'Quitar {name}',
  'passkey.deleted': 'Llave de acceso quitada.',
  'passkey.created': 'Añadida el {date}',
  'passkey.lastUsed': 'Último uso: {date}',
  'passkey.neverUsed': 'Sin usar',
  'passkey.synced': 'Sincronizada',
  'passkey.deviceBound': 'Solo este dispositivo',
  'passkey.listLabel': 'Tus llaves de acceso',
  'passkey.reauthTitle': 'Confirma que eres tú',
  'passkey.reauthBody': 'Por seguridad, escribe tu contraseña o un código de tu aplicación de autenticación para continuar.',
  'passkey.reauthPassword': 'Contraseña',
  'passkey.reauthCode': 'Código de autenticación',
  'passkey.reauthConfirm': 'Confirmar',
  'sso.domainAvailable': '{organization} inicia sesión con inicio de sesión único (SSO).',
  'sso.domainEnforced': '{organization} exige inicio de sesión único: no se aceptan contraseñas para esta dirección.',
  'sso.continueDomain': 'Continuar con SSO',
  'orgPolicy.mfaHint': 'Los miembros sin aplicación de autenticación ni llave de acceso deberán configurar una antes de abrir la organización.',
  'orgPolicy.idleHint': 'De 5 minutos a 24 horas (1440 minutos).',
  'orgPolicy.absoluteHint': 'De 1 hora a 30 días (720 horas); no menos que el tiempo de inactividad.',
  'orgPolicy.idleTooLong': 'El tiempo de inactividad no puede ser mayor que el tiempo máximo.',
  'orgPolicy.current': 'Ahora: {idle} minutos de inactividad, {absolute} horas como máximo; verificación en dos pasos {mfa}.',
  'orgPolicy.required': 'obligatoria',
  'orgPolicy.optional': 'opcional',
  'orgPolicy.save': 'Guardar la política',
};

const DICTIONARIES: Record<Locale, Record<PasskeyKey, string>> = { en, es };

export type PasskeyTranslate = (key: PasskeyKey, values?: Record<string, string | number>) => string;

export function translatePasskey(locale: Locale, key: PasskeyKey, values?: Record<string, string | number>): string {
  const template: string = DICTIONARIES[locale][key] ?? en[key];
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

/** `t` for these strings, in the app's current language. */
export function usePasskeyT(): PasskeyTranslate {
  const { locale } = useI18n();
  return useCallback((key, values) => translatePasskey(locale, key, values), [locale]);
}
