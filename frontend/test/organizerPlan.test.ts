import { describe, expect, it } from 'vitest';
import {
  checkVenueFields,
  describePointer,
  fileSize,
  jsonErrorOffset,
  importBody,
  lineAndColumn,
  locateProblem,
  pointerInPlan,
  pointerTokens,
  quoteValue,
  readPlan,
  resolvePointer,
} from '../src/organizer/plan';

/** A small plan in pretix's format: two zones, a row split in two row objects, three categories (one unused). */
const pretix = {
  name: 'Kleiner Saal',
  categories: [{ name: 'Parkett', color: '#aa0000' }, { name: 'Balkon' }, { name: 'Unused' }],
  zones: [
    {
      name: 'Parkett',
      position: { x: 0, y: 0 },
      rows: [
        { row_number: '1', seats: [1, 2, 3].map((n) => ({ seat_guid: `p-1-${n}`, seat_number: String(n), position: { x: n * 10, y: 0 }, category: 'Parkett' })) },
        { row_number: '1', position: { x: 50, y: 0 }, seats: [{ seat_guid: 'p-1-4', seat_number: '4', position: { x: 0, y: 0 }, category: 'Parkett' }] },
      ],
    },
    { name: 'Balkon', position: { x: 0, y: 100 }, rows: [{ row_number: 'A', seats: [{ seat_guid: 'b/a~1', seat_number: '1', position: { x: 0, y: 0 }, category: 'Balkon' }] }] },
  ],
  size: { width: 200, height: 200 },
};

const showtime = {
  format: 'showtime',
  version: 1,
  name: 'Lyric',
  categories: [{ name: 'Stalls' }],
  sections: [{ name: 'Stalls', category: 'Stalls' }],
  seats: [
    { seat_guid: 'a', section: 'Stalls', row: 'A', seat_number: 1, x: 0, y: 0, rank: 0, accessible: true },
    { seat_guid: 'b', section: 'Stalls', row: 'A', seat_number: 2, x: 1, y: 0, rank: 1 },
  ],
};

describe('readPlan', () => {
  it("reads pretix's format: seats counted over every zone and row object", () => {
    const r = readPlan(JSON.stringify(pretix));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.summary).toEqual({ kind: 'pretix', name: 'Kleiner Saal', categories: ['Parkett', 'Balkon', 'Unused'], seats: 5, groups: 2, accessible: 0 });
    expect(r.plan).toEqual(pretix);
  });

  it("reads the project's own format, accessible seats included", () => {
    const r = readPlan(JSON.stringify(showtime, null, 2));
    expect(r.ok && r.summary).toEqual({ kind: 'showtime', name: 'Lyric', categories: ['Stalls'], seats: 2, groups: 1, accessible: 1 });
  });

  it('drops a byte order mark, which JSON does not allow', () => {
    const r = readPlan(`\ufeff${JSON.stringify(showtime)}`);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.text.charCodeAt(0)).toBe('{'.charCodeAt(0));
  });

  it('says where a file stops being JSON, by line and column', () => {
    const r = readPlan('{\n  "name": "x",\n  "zones": [,]\n}');
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/line 3, column 13/) });
    expect(readPlan('{"name": "x", "zones": [')).toEqual({ ok: false, message: expect.stringContaining("ends too early") });
  });

  it('refuses what is not a plan: empty, not an object, neither format', () => {
    expect(readPlan('  ')).toEqual({ ok: false, message: 'This file is empty.' });
    expect(readPlan('[1, 2]')).toMatchObject({ ok: false, message: expect.stringContaining('JSON object') });
    expect(readPlan('{"name": "x", "seats": []}')).toMatchObject({ ok: false, message: expect.stringContaining('not a seating plan we know') });
  });

  it('leaves the judging to the server: a plan with a bad seat is still sent', () => {
    const bad = structuredClone(pretix);
    bad.zones[0]!.rows[0]!.seats[1]!.category = 'Galerie';
    expect(readPlan(JSON.stringify(bad)).ok).toBe(true);
  });
});

describe('lineAndColumn', () => {
  it('counts from 1', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});

describe('importBody', () => {
  it('is the venue fields with the file text spliced in as seating_plan, byte for byte', () => {
    const text = JSON.stringify(pretix, null, 2);
    const body = importBody({ name: 'Saal "B"', city: 'Wien', lat: 48.2, lng: 16.37 }, text);
    expect(JSON.parse(body)).toEqual({ name: 'Saal "B"', city: 'Wien', lat: 48.2, lng: 16.37, seating_plan: pretix });
    expect(body.endsWith(`"seating_plan":${text}}`)).toBe(true);
  });
});

describe('JSON pointers', () => {
  it('unescapes ~1 and ~0 (RFC 6901)', () => {
    expect(pointerTokens('')).toEqual([]);
    expect(pointerTokens('/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1']);
  });

  it('finds the value a pointer names, and nothing past the end', () => {
    expect(resolvePointer(pretix, '/zones/1/rows/0/seats/0/seat_guid')).toBe('b/a~1');
    expect(resolvePointer(pretix, '/categories/0/color')).toBe('#aa0000');
    expect(resolvePointer(pretix, '/zones/7')).toBeUndefined();
    expect(resolvePointer(pretix, '/zones/01')).toBeUndefined();
    expect(resolvePointer(pretix, '/name/0')).toBeUndefined();
    expect(resolvePointer(pretix, '')).toBe(pretix);
  });

  it('tells a pointer into the plan from one at a venue field', () => {
    expect(pointerInPlan('/seating_plan/zones/0')).toBe('/zones/0');
    expect(pointerInPlan('/seating_plan')).toBe('');
    expect(pointerInPlan('/seating_planet')).toBeNull();
    expect(pointerInPlan('/lat')).toBeNull();
  });

  it('says where in words, counting from 1', () => {
    expect(describePointer('/zones/0/rows/3/seats/2/category')).toBe('zone 1 › row 4 › seat 3 › category');
    expect(describePointer('/seats/41/seat_guid')).toBe('seat 42 › seat guid');
    expect(describePointer('')).toBe('the plan as a whole');
    expect(describePointer('/categories/1')).toBe('category 2');
  });

  it('locates a refusal: in the file with its value, or at a venue field', () => {
    expect(locateProblem('/seating_plan/zones/0/rows/0/seats/1/category', pretix)).toEqual({
      where: 'zone 1 › row 1 › seat 2 › category',
      filePointer: '/zones/0/rows/0/seats/1/category',
      field: null,
      value: '"Parkett"',
    });
    expect(locateProblem('/seating_plan/zones/0/rows/0/seats/9', pretix)?.value).toBe('(missing)');
    expect(locateProblem('/lat', pretix)).toEqual({ where: "the venue's lat", filePointer: null, field: 'lat', value: null });
    expect(locateProblem(undefined, pretix)).toBeNull();
  });

  it('quotes long values short', () => {
    expect(quoteValue('x'.repeat(200), 20)).toHaveLength(20);
    expect(quoteValue({ a: 1 })).toBe('{"a":1}');
  });
});

describe('checkVenueFields', () => {
  it('takes a venue with its place', () => {
    expect(checkVenueFields({ name: ' Saal ', city: 'Wien', lat: '48.2', lng: '16,37' })).toEqual({
      errors: {},
      values: { name: 'Saal', city: 'Wien', lat: 48.2, lng: 16.37 },
    });
  });

  it('names every field that is missing or out of range', () => {
    const { errors, values } = checkVenueFields({ name: '', city: 'x'.repeat(101), lat: '91', lng: 'east' });
    expect(values).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['city', 'lat', 'lng', 'name']);
    expect(checkVenueFields({ name: 'a', city: 'b', lat: '', lng: '0' }).errors).toEqual({ lat: expect.any(String) });
    expect(checkVenueFields({ name: 'a', city: 'b', lat: '-90', lng: '-180' }).errors).toEqual({});
  });
});

describe('fileSize', () => {
  it('reads as people do', () => {
    expect(fileSize(900)).toBe('900 bytes');
    expect(fileSize(20_480)).toBe('20 KB');
    expect(fileSize(6.5 * 1024 * 1024)).toBe('6.5 MB');
  });
});

describe('jsonErrorOffset', () => {
  it('finds no error in JSON, whatever JSON.parse takes', () => {
    for (const ok of ['{}', '[]', ' 1 ', '"a\\u00e9\\n"', '{"a": [1, -2.5e3, true, false, null, {"b": {}}]}', JSON.stringify(pretix, null, 2)]) {
      expect(jsonErrorOffset(ok), ok).toBe(-1);
    }
  });

  it('points at the first character that cannot continue the text', () => {
    const cases: Array<[string, number]> = [
      ['[,]', 1],
      ['{"a" 1}', 5],
      ['{"a": 1,}', 8],
      ['{a: 1}', 1],
      ['[1 2]', 3],
      ['[01]', 2],
      ['"tab\there"', 4],
      ['"\\x"', 2],
      ['{"a": 1} x', 9],
      ['[tru]', 1],
      ['{"a": [1, 2', 11],
      ['', 0],
    ];
    for (const [text, at] of cases) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(jsonErrorOffset(text), text).toBe(at);
    }
  });

  it('walks deep nesting without a stack of its own', () => {
    expect(jsonErrorOffset('['.repeat(100_000) + ']'.repeat(100_000))).toBe(-1);
    expect(jsonErrorOffset('['.repeat(100_000))).toBe(100_000);
  });
});
