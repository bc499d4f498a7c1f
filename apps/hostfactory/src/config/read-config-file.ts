import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type * as Yaml from 'yaml';
import { configError } from './config-error';

/** A parsed config document: a plain object (an empty file reads as `{}`). */
export type ConfigDocument = Record<string, unknown>;

/**
 * Reads a JSON (`.json`) or YAML (`.yml`, `.yaml`, anything else) file.
 * Throws CONFIG_INVALID naming the file and the parse position when it is malformed,
 * and when its top level is not a mapping.
 */
export function readConfigFile(file: string): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    // Editors on Windows save UTF-8 with a byte order mark; JSON.parse would take it for a character.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw configError(file, undefined, `cannot be read (${code ?? String(error)})`, {}, error);
  }
  const value = extname(file).toLowerCase() === '.json' ? parseJson(file, text) : parseYaml(file, text);
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw configError(file, undefined, 'must hold an object (a mapping of keys) at the top level');
  }
  return value as ConfigDocument;
}

function parseJson(file: string, text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const match = /position (\d+)/.exec(message);
    const offset = match ? Number(match[1]) : text.length;
    const { line, column } = lineAndColumn(text, offset);
    throw configError(file, undefined, `malformed JSON at line ${line} column ${column}: ${message}`, { line, column }, error);
  }
}

/**
 * The YAML parser, loaded on first use: most installations have JSON files only, and the parser
 * is a quarter of what a call would load (the bundle ships it apart, see tools/build-app.mjs).
 */
function yaml(): typeof Yaml {
  return require('yaml') as typeof Yaml;
}

function parseYaml(file: string, text: string): unknown {
  const document = yaml().parseDocument(text);
  const first = document.errors[0];
  if (first) {
    const position = first.linePos?.[0];
    const line = position?.line ?? lineAndColumn(text, first.pos[0]).line;
    const column = position?.col ?? lineAndColumn(text, first.pos[0]).column;
    const reason = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '');
    throw configError(file, undefined, `malformed YAML at line ${line} column ${column}: ${reason}`, { line, column }, first);
  }
  return document.toJS() as unknown;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}
