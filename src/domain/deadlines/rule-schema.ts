/**
 * JSON Schema (draft 2020-12 subset that ajv 8 compiles) for `config/deadline-rules.json`.
 * Mirrors `types.ts`; `parse.ts` compiles it once and adds the checks a schema cannot express
 * (unique ids, references to rules and groups, merged profile overrides).
 */
import { MESSAGE_TYPES } from '../catalogue.js';
import { WARNING_CATEGORIES } from '../message.js';
import { EXTENSION_FLAGS, FALLBACK_CHANNELS, REFERENCE_FIELDS } from './types.js';

const MESSAGE_TYPE = { enum: MESSAGE_TYPES.map((type) => type.code) };
const TIME_OF_DAY = {
  type: 'string',
  pattern: '^(end-of-day|([01][0-9]|2[0-3]):[0-5][0-9])$',
  description: '"end-of-day" or a Copenhagen clock time hh:mm',
};
const REFERENCE_FIELD = { enum: [...REFERENCE_FIELDS] };
const WARNING_CATEGORY = { enum: [...WARNING_CATEGORIES] };
const SEVERITY = { enum: ['error', 'warning', 'info'] };
const EAN = { type: 'string', pattern: '^[0-9]{13}$' };
const CALENDAR = {
  type: 'object',
  additionalProperties: false,
  properties: {
    closedDays: {
      type: 'object',
      additionalProperties: false,
      properties: {
        grundlovsdag: { type: 'boolean' },
        christmasEve: { type: 'boolean' },
        newYearsEve: { type: 'boolean' },
      },
    },
  },
};

export const DEADLINE_RULES_SCHEMA = {
  $id: 'deadline-rules',
  type: 'object',
  required: ['agreement', 'groups', 'rules', 'profiles'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    agreement: {
      type: 'object',
      required: ['id', 'title', 'region'],
      additionalProperties: false,
      properties: { id: { type: 'string', minLength: 1 }, title: { type: 'string' }, region: { type: 'string', minLength: 1 } },
    },
    calendar: CALENDAR,
    defaultWarningCategory: WARNING_CATEGORY,
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'select', 'missingConditionReason'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', minLength: 1 },
          title: { type: 'string' },
          select: { const: 'longest-lead' },
          missingConditionReason: { type: 'string', minLength: 1 },
        },
      },
    },
    rules: { type: 'array', minItems: 1, items: { $ref: '#/$defs/rule' } },
    profiles: { type: 'array', items: { $ref: '#/$defs/profile' } },
  },
  $defs: {
    offset: {
      oneOf: [
        {
          type: 'object',
          required: ['unit', 'amount', 'direction', 'at'],
          additionalProperties: false,
          properties: {
            unit: { enum: ['weekdays', 'calendarDays', 'nextWeekday'] },
            amount: { type: 'integer', minimum: 0, maximum: 366 },
            direction: { enum: ['before', 'after'] },
            at: TIME_OF_DAY,
          },
        },
        {
          type: 'object',
          required: ['unit', 'amount', 'direction'],
          additionalProperties: false,
          properties: {
            unit: { const: 'hours' },
            amount: { type: 'integer', minimum: 0, maximum: 8784 },
            direction: { enum: ['before', 'after'] },
          },
        },
      ],
    },
    offsetPatch: {
      type: 'object',
      minProperties: 1,
      additionalProperties: false,
      properties: {
        unit: { enum: ['weekdays', 'calendarDays', 'nextWeekday', 'hours'] },
        amount: { type: 'integer', minimum: 0, maximum: 8784 },
        direction: { enum: ['before', 'after'] },
        at: TIME_OF_DAY,
      },
    },
    reference: {
      oneOf: [
        {
          type: 'object',
          required: ['kind', 'fields'],
          additionalProperties: false,
          properties: {
            kind: { const: 'field' },
            fields: { type: 'array', minItems: 1, uniqueItems: true, items: REFERENCE_FIELD },
          },
        },
        {
          type: 'object',
          required: ['kind'],
          additionalProperties: false,
          properties: { kind: { const: 'receivedAt' } },
        },
        {
          type: 'object',
          required: ['kind', 'fields'],
          additionalProperties: false,
          properties: {
            kind: { const: 'laterOf' },
            fields: { type: 'array', minItems: 1, uniqueItems: true, items: REFERENCE_FIELD },
            episode: { type: 'boolean' },
          },
        },
      ],
    },
    condition: {
      type: 'object',
      additionalProperties: false,
      properties: {
        warningCategory: WARNING_CATEGORY,
        present: { type: 'array', minItems: 1, uniqueItems: true, items: REFERENCE_FIELD },
        flags: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(EXTENSION_FLAGS.map((flag) => [flag, { type: 'boolean' }])),
        },
        admissionKind: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['PLANNED', 'ACUTE', 'OPEN'] } },
        retrainingType: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['ZZ0175X', 'ZZ0175Y', 'ZZ0175Z'] } },
      },
    },
    fulfilledBy: {
      oneOf: [
        {
          type: 'object',
          required: ['kind', 'evidence'],
          additionalProperties: false,
          properties: { kind: { const: 'starting-message' }, evidence: { const: 'gateway-arrival' } },
        },
        {
          type: 'object',
          required: ['kind', 'types', 'from', 'samePatient'],
          additionalProperties: false,
          properties: {
            kind: { const: 'correlated-message' },
            types: { type: 'array', minItems: 1, uniqueItems: true, items: MESSAGE_TYPE },
            from: { enum: ['receiver', 'sender'] },
            samePatient: { type: 'boolean' },
            lookbackDays: { type: 'integer', minimum: 1, maximum: 366 },
          },
        },
        { type: 'object', required: ['kind'], additionalProperties: false, properties: { kind: { const: 'receipt' } } },
        {
          type: 'object',
          required: ['kind', 'by'],
          additionalProperties: false,
          properties: { kind: { const: 'explicit' }, by: { enum: ['sender', 'receiver', 'retraining-performer'] } },
        },
      ],
    },
    source: {
      type: 'object',
      required: ['file', 'lines'],
      additionalProperties: false,
      properties: {
        file: { type: 'string', minLength: 1 },
        lines: { type: 'string', minLength: 1 },
        note: { type: 'string' },
      },
    },
    startedBy: {
      type: 'object',
      required: ['types'],
      additionalProperties: false,
      properties: {
        types: { type: 'array', minItems: 1, uniqueItems: true, items: MESSAGE_TYPE },
        typeConditions: {
          type: 'object',
          propertyNames: MESSAGE_TYPE,
          additionalProperties: { $ref: '#/$defs/condition' },
        },
        condition: { $ref: '#/$defs/condition' },
      },
    },
    rule: {
      type: 'object',
      required: ['id', 'kind', 'title', 'source', 'startedBy', 'reference', 'severity'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^[A-Z][A-Za-z0-9-]*$' },
        kind: { enum: ['deadline', 'validation'] },
        title: { type: 'string', minLength: 1 },
        source: { type: 'array', minItems: 1, items: { $ref: '#/$defs/source' } },
        startedBy: { $ref: '#/$defs/startedBy' },
        reference: { $ref: '#/$defs/reference' },
        severity: SEVERITY,
        group: { type: 'string', minLength: 1 },
        enabled: { type: 'boolean' },
        localAgreement: { type: 'boolean' },
        interpretation: { type: 'string' },
        offset: { $ref: '#/$defs/offset' },
        target: { $ref: '#/$defs/offset' },
        breachAt: { $ref: '#/$defs/offset' },
        fulfilledBy: { $ref: '#/$defs/fulfilledBy' },
        statedLimit: {
          type: 'object',
          required: ['field', 'at'],
          additionalProperties: false,
          properties: { field: { const: 'rehabilitationDeadline' }, at: TIME_OF_DAY },
        },
        fallbackChannels: { type: 'array', uniqueItems: true, items: { enum: [...FALLBACK_CHANNELS] } },
        check: { enum: ['weekday', 'stated-limit'] },
        countHolidays: { type: 'boolean' },
        against: { type: 'string', minLength: 1 },
      },
      oneOf: [
        {
          type: 'object',
          properties: { kind: { const: 'deadline' } },
          required: ['offset', 'fulfilledBy'],
          not: {
            anyOf: [
              { type: 'object', required: ['check'] },
              { type: 'object', required: ['countHolidays'] },
              { type: 'object', required: ['against'] },
            ],
          },
        },
        {
          type: 'object',
          properties: { kind: { const: 'validation' } },
          required: ['check'],
          not: {
            anyOf: [
              { type: 'object', required: ['offset'] },
              { type: 'object', required: ['target'] },
              { type: 'object', required: ['breachAt'] },
              { type: 'object', required: ['fulfilledBy'] },
              { type: 'object', required: ['statedLimit'] },
              { type: 'object', required: ['fallbackChannels'] },
            ],
          },
        },
      ],
    },
    profile: {
      type: 'object',
      required: ['id', 'appliesTo'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', minLength: 1 },
        title: { type: 'string' },
        appliesTo: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: {
            region: { type: 'string', minLength: 1 },
            cluster: { type: 'string', minLength: 1 },
            hospitalEan: EAN,
            municipalityEan: EAN,
          },
        },
        defaultWarningCategory: WARNING_CATEGORY,
        calendar: CALENDAR,
        overrides: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            minProperties: 1,
            additionalProperties: false,
            properties: {
              title: { type: 'string', minLength: 1 },
              enabled: { type: 'boolean' },
              startedBy: { $ref: '#/$defs/startedBy' },
              severity: SEVERITY,
              reference: { $ref: '#/$defs/reference' },
              offset: { $ref: '#/$defs/offsetPatch' },
              target: { oneOf: [{ type: 'null' }, { $ref: '#/$defs/offsetPatch' }] },
              breachAt: { oneOf: [{ type: 'null' }, { $ref: '#/$defs/offsetPatch' }] },
              fulfilledBy: { $ref: '#/$defs/fulfilledBy' },
              countHolidays: { type: 'boolean' },
            },
          },
        },
      },
    },
  },
} as const;

/** Hints per JSON-pointer tail, so an error says what to write instead. */
export const FIX_HINTS: Readonly<Record<string, string>> = {
  offset:
    'write {"unit":"weekdays"|"calendarDays","amount":N,"direction":"before"|"after","at":"end-of-day"|"hh:mm"} or {"unit":"hours","amount":N,"direction":"after"}',
  target: 'same form as "offset"; null in a profile override removes it',
  at: 'write "end-of-day" or a clock time such as "12:00"',
  reference: 'write {"kind":"field","fields":["plannedDischarge", …]}, {"kind":"receivedAt"} or {"kind":"laterOf","fields":["discharge"]}',
  breachAt: 'same form as "offset"; when a deadline nobody fulfilled is marked breached (default: the late limit)',
  fulfilledBy:
    'write {"kind":"starting-message","evidence":"gateway-arrival"}, {"kind":"correlated-message","types":[…],"from":"receiver","samePatient":true}, {"kind":"receipt"} or {"kind":"explicit","by":"receiver"|"sender"|"retraining-performer"}',
  evidence:
    'write "gateway-arrival": a warning counts as given when the gateway accepted it, the hospital\'s act the agreements set the limit for; the receiver\'s fetch or push is not read ("delivery-receipt" was never used)',
  fallbackChannels: `the channels outside MedCom the agreement allows for this rule: ${FALLBACK_CHANNELS.join(', ')}`,
  statedLimit: 'write {"field":"rehabilitationDeadline","at":"end-of-day"}',
  against: 'the id of the deadline rule whose statedLimit a "stated-limit" check compares with',
  types: `message type codes: ${MESSAGE_TYPES.map((type) => type.code).join(', ')}`,
  appliesTo: 'give at least one of region, cluster, hospitalEan, municipalityEan (13 digits)',
};
