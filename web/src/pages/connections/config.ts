/**
 * A provider's `config_schema` (JSON Schema, as the catalogue publishes it) as form fields,
 * and the form's values back into the `config` object the API takes — checked for required
 * fields and patterns first, so a typo is caught here rather than at the first sync.
 */

export type ConfigKind = 'text' | 'list' | 'boolean' | 'number';

export interface ConfigField {
  name: string;
  kind: ConfigKind;
  required: boolean;
  description?: string;
  /** For text fields: the value's pattern; for lists: each item's. */
  pattern?: string;
  defaultValue?: string | boolean;
}

export type ConfigValues = Record<string, string | boolean>;
export type ConfigError = 'required' | 'pattern' | 'number';

interface JsonSchemaProperty {
  type?: string;
  description?: string;
  pattern?: string;
  default?: unknown;
  items?: { type?: string; pattern?: string };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields of an object schema, required ones first (in the schema's order otherwise). */
export function configFields(schema: Record<string, unknown>): ConfigField[] {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  const fields: ConfigField[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    if (!isRecord(raw) || name === 'sandbox') continue;
    const property = raw as JsonSchemaProperty;
    let kind: ConfigKind = 'text';
    if (property.type === 'boolean') kind = 'boolean';
    else if (property.type === 'integer' || property.type === 'number') kind = 'number';
    else if (property.type === 'array') kind = 'list';
    const pattern = kind === 'list' ? property.items?.pattern : property.pattern;
    let defaultValue: string | boolean | undefined;
    if (typeof property.default === 'boolean') defaultValue = property.default;
    else if (typeof property.default === 'string' || typeof property.default === 'number') defaultValue = String(property.default);
    fields.push({
      name,
      kind,
      required: required.has(name),
      ...(property.description ? { description: property.description } : {}),
      ...(pattern ? { pattern } : {}),
      ...(defaultValue !== undefined ? { defaultValue } : {}),
    });
  }
  return fields.sort((a, b) => Number(b.required) - Number(a.required));
}

export function initialConfigValues(fields: ConfigField[]): ConfigValues {
  return Object.fromEntries(fields.map((f) => [f.name, f.defaultValue ?? (f.kind === 'boolean' ? false : '')]));
}

/** A list field's items: separated by commas, spaces or new lines. */
export function splitList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    // A pattern this browser cannot compile is left to the API to check.
    return true;
  }
}

/**
 * The `config` body for the values, or the fields' errors. Empty optional fields are left
 * out (the API then uses its default); defaults the user left untouched are left out too.
 */
export function buildConfig(fields: ConfigField[], values: ConfigValues): { config: Record<string, unknown>; errors: Record<string, ConfigError> } {
  const config: Record<string, unknown> = {};
  const errors: Record<string, ConfigError> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.kind === 'boolean') {
      const checked = value === true;
      if (field.defaultValue === undefined || checked !== field.defaultValue) config[field.name] = checked;
      continue;
    }
    const text = typeof value === 'string' ? value.trim() : '';
    if (!text) {
      if (field.required) errors[field.name] = 'required';
      continue;
    }
    if (field.kind === 'list') {
      const items = splitList(text);
      if (field.pattern && items.some((item) => !matches(field.pattern ?? '', item))) errors[field.name] = 'pattern';
      else config[field.name] = items;
    } else if (field.kind === 'number') {
      const number = Number(text);
      if (!Number.isFinite(number)) errors[field.name] = 'number';
      else config[field.name] = number;
    } else if (field.pattern && !matches(field.pattern, text)) {
      errors[field.name] = 'pattern';
    } else if (text !== field.defaultValue) {
      config[field.name] = text;
    }
  }
  return { config, errors };
}
