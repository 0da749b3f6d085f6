/**
 * Reading a seating-plan file before it is sent: which format it is, how many seats and categories it has (so the
 * organizer sees what they are about to import), and the import's request body. After a refusal, the server's JSON
 * pointer is turned into words ("zone 1, row 4, seat 3: category") and the offending value is read from the file.
 *
 * The server is the judge of a plan (docs/seating-plans.md): nothing here refuses what it might accept, beyond what
 * cannot be sent at all (not JSON, not an object, too large for the route).
 */

/** The route's body limit (backend/organizer/routes.py PLAN_MAX_BODY_BYTES). */
export const MAX_PLAN_BYTES = 24 * 1024 * 1024;

export type PlanKind = 'pretix' | 'showtime';

export interface PlanSummary {
  kind: PlanKind;
  name: string;
  categories: string[];
  seats: number;
  /** pretix: zones; showtime: sections. */
  groups: number;
  accessible: number;
}

export type PlanReading = { ok: true; text: string; plan: unknown; summary: PlanSummary } | { ok: false; message: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function names(v: unknown): string[] {
  return list(v)
    .map((c) => (isObject(c) && typeof c.name === 'string' ? c.name : null))
    .filter((n): n is string => n !== null);
}

/** Line and column of a character offset, for a JSON syntax error. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * Where JSON text first goes wrong: the offset of the first character that cannot continue it (text.length when it
 * ends too early), or -1 when it is JSON. Used only after JSON.parse failed, since browsers do not all say where
 * (V8 often quotes a snippet instead); iterative, so a deeply nested file cannot overflow the stack.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const string = (): boolean => {
    i++; // the opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 32) return false;
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };
  const scalar = (): boolean => {
    const rest = text.slice(i, i + 5);
    for (const word of ['true', 'false', 'null']) {
      if (rest.startsWith(word)) {
        i += word.length;
        return true;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || !m[0] || m[0] === '-') return false;
    i += m[0].length;
    return true;
  };
  // Each open container: '{' expecting a key, ':' expecting a value after a key, ',' after a member; '[' likewise.
  const stack: Array<'{' | '['> = [];
  let expectValue = true;
  ws();
  for (;;) {
    if (expectValue) {
      if (i >= n) return n;
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        ws();
        if (text[i] === (c === '{' ? '}' : ']')) {
          stack.pop();
          i++;
          expectValue = false;
        } else if (c === '{') {
          if (text[i] !== '"' || !string()) return Math.min(i, n);
          ws();
          if (text[i] !== ':') return Math.min(i, n);
          i++;
          ws();
        }
        continue;
      }
      if (c === '"' ? !string() : !scalar()) return Math.min(i, n);
      expectValue = false;
    }
    ws();
    const top = stack[stack.length - 1];
    if (!top) return i < n ? i : -1;
    if (i >= n) return n;
    if (text[i] === ',') {
      i++;
      ws();
      if (top === '{') {
        if (text[i] !== '"' || !string()) return Math.min(i, n);
        ws();
        if (text[i] !== ':') return Math.min(i, n);
        i++;
        ws();
      }
      expectValue = true;
    } else if (text[i] === (top === '{' ? '}' : ']')) {
      stack.pop();
      i++;
    } else return i;
  }
}

function syntaxMessage(text: string): string {
  const at = jsonErrorOffset(text);
  if (at < 0) return 'This file is not valid JSON.';
  const { line, column } = lineAndColumn(text, at);
  return at >= text.length
    ? `This file is not valid JSON: it ends too early (line ${line}, column ${column}).`
    : `This file is not valid JSON (line ${line}, column ${column}).`;
}

/** The format, seats and categories of a plan file's text; or why it cannot be sent. */
export function readPlan(raw: string): PlanReading {
  // A byte order mark is not JSON; editors on Windows like to write one.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (!text.trim()) return { ok: false, message: 'This file is empty.' };
  if (new Blob([text]).size > MAX_PLAN_BYTES) {
    return { ok: false, message: 'This file is larger than 24 MB, the most an import takes. Remove indentation or split the venue.' };
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch {
    return { ok: false, message: syntaxMessage(text) };
  }
  if (!isObject(plan)) return { ok: false, message: 'A seating plan is a JSON object; this file holds something else.' };
  if (plan.format === 'showtime') {
    const seats = list(plan.seats);
    return {
      ok: true,
      text,
      plan,
      summary: {
        kind: 'showtime',
        name: typeof plan.name === 'string' ? plan.name : '',
        categories: names(plan.categories),
        seats: seats.length,
        groups: list(plan.sections).length,
        accessible: seats.filter((s) => isObject(s) && s.accessible === true).length,
      },
    };
  }
  if (Array.isArray(plan.zones)) {
    let seats = 0;
    for (const zone of plan.zones) {
      if (!isObject(zone)) continue;
      for (const row of list(zone.rows)) if (isObject(row)) seats += list(row.seats).length;
    }
    return {
      ok: true,
      text,
      plan,
      summary: {
        kind: 'pretix',
        name: typeof plan.name === 'string' ? plan.name : '',
        categories: names(plan.categories),
        seats,
        groups: plan.zones.length,
        accessible: 0,
      },
    };
  }
  return {
    ok: false,
    message:
      'This is not a seating plan we know: expected pretix\'s format ({"name", "categories", "zones"}) or this project\'s own ({"format": "showtime", ...}).',
  };
}

/**
 * The import's body: the venue's fields and the file's own text as `seating_plan`, spliced in as it is, so the server
 * reads exactly the bytes of the file (its pointers then name the file's values) and a large file is not encoded again.
 * `planText` must be JSON (readPlan checked it).
 */
export function importBody(fields: { name: string; city: string; lat: number; lng: number }, planText: string): string {
  const head = JSON.stringify({ name: fields.name, city: fields.city, lat: fields.lat, lng: fields.lng });
  return `${head.slice(0, -1)},"seating_plan":${planText}}`;
}

/** RFC 6901: a pointer's reference tokens, unescaped (~1 is /, ~0 is ~). */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return [pointer];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const PLAN_PREFIX = '/seating_plan';

/** The part of a body pointer inside the plan file ("/zones/0"), or null when it names a venue field. */
export function pointerInPlan(pointer: string): string | null {
  if (pointer === PLAN_PREFIX) return '';
  return pointer.startsWith(`${PLAN_PREFIX}/`) ? pointer.slice(PLAN_PREFIX.length) : null;
}

/** The value a pointer names in a document, or undefined. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  let here: unknown = doc;
  for (const token of pointerTokens(pointer)) {
    if (Array.isArray(here)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      here = here[Number(token)];
    } else if (isObject(here)) {
      if (!Object.prototype.hasOwnProperty.call(here, token)) return undefined;
      here = here[token];
    } else return undefined;
  }
  return here;
}

const ITEM_NAMES: Record<string, string> = {
  zones: 'zone',
  rows: 'row',
  seats: 'seat',
  categories: 'category',
  sections: 'section',
  areas: 'area',
  points: 'point',
};

/**
 * A plan pointer in words, counting from 1 as people do: "/zones/0/rows/3/seats/2/category" is
 * "zone 1 › row 4 › seat 3 › category". An empty pointer is the plan as a whole.
 */
export function describePointer(pointer: string): string {
  const tokens = pointerTokens(pointer);
  if (!tokens.length) return 'the plan as a whole';
  const parts: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const item = ITEM_NAMES[token];
    const next = tokens[i + 1];
    if (item && next !== undefined && /^\d+$/.test(next)) {
      parts.push(`${item} ${Number(next) + 1}`);
      i++;
    } else parts.push(token.replace(/_/g, ' '));
  }
  return parts.join(' › ');
}

/** A short quote of a JSON value for an error message. */
export function quoteValue(value: unknown, max = 80): string {
  if (value === undefined) return '(missing)';
  let s: string;
  try {
    s = JSON.stringify(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export interface PlanProblem {
  /** Where, in words. */
  where: string;
  /** The pointer within the file ("" = the plan), or null for a venue field. */
  filePointer: string | null;
  /** The venue field the pointer names (name, city, lat, lng), when it names one. */
  field: string | null;
  /** The offending value as the file has it, quoted, when the file was read here. */
  value: string | null;
}

/** Where a 422 from the import points, for the page: in the file, or at one of the venue's fields. */
export function locateProblem(pointer: string | undefined, plan: unknown): PlanProblem | null {
  if (typeof pointer !== 'string') return null;
  const inPlan = pointerInPlan(pointer);
  if (inPlan === null) {
    const field = pointerTokens(pointer)[0] ?? null;
    return { where: field ? `the venue's ${field}` : 'the request', filePointer: null, field, value: null };
  }
  return {
    where: describePointer(inPlan),
    filePointer: inPlan,
    field: null,
    value: plan === undefined ? null : quoteValue(resolvePointer(plan, inPlan)),
  };
}

/** "1.4 MB" for a byte count. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// ---------- the venue's own fields ----------

export interface VenueFieldValues {
  name: string;
  city: string;
  lat: string;
  lng: string;
}

export type FieldErrors = Partial<Record<keyof VenueFieldValues, string>>;

/** The venue's own fields, checked; the API's bounds (name ≤ 200, city ≤ 100, lat/lng in range). */
export function checkVenueFields(f: VenueFieldValues): { errors: FieldErrors; values: { name: string; city: string; lat: number; lng: number } | null } {
  const errors: FieldErrors = {};
  const name = f.name.trim();
  const city = f.city.trim();
  if (!name) errors.name = "Enter the venue's name.";
  else if (name.length > 200) errors.name = 'A name has at most 200 characters.';
  if (!city) errors.city = 'Enter the city.';
  else if (city.length > 100) errors.city = "A city's name has at most 100 characters.";
  const lat = Number(f.lat.trim().replace(',', '.'));
  const lng = Number(f.lng.trim().replace(',', '.'));
  if (!f.lat.trim() || !Number.isFinite(lat) || lat < -90 || lat > 90) errors.lat = 'Latitude is a number from -90 to 90, such as 48.2008.';
  if (!f.lng.trim() || !Number.isFinite(lng) || lng < -180 || lng > 180) errors.lng = 'Longitude is a number from -180 to 180, such as 16.3725.';
  return { errors, values: Object.keys(errors).length ? null : { name, city, lat, lng } };
}
