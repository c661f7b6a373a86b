import type { Company } from './world/schema.js';

/**
 * Deterministic generated data. The same company, object and index always give the same record, so
 * tests and demos can rely on values across runs and emulator instances.
 */

export type FieldType = 'integer' | 'text' | 'decimal' | 'date' | 'timestamp' | 'enum' | 'boolean';

export interface FieldDef {
  name: string;
  type: FieldType;
  label: string;
  required?: boolean;
  readOnly?: boolean;
  /** Must be unique among the object's records (create/update refuse duplicates). */
  unique?: boolean;
  values?: readonly string[];
}

export interface ObjectDef {
  object: string;
  label: string;
  fields: FieldDef[];
  /** The field `readByName` looks records up by. */
  nameField: string;
  generate?: (i: number, rand: () => number, company: Company) => Record<string, string>;
}

/** Mulberry32: small, fast, and good enough for plausible fake data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const money = (rand: () => number, max: number) => (Math.round(rand() * max * 100) / 100).toFixed(2);

const BASE_DAY = Date.UTC(2024, 0, 2);
function day(rand: () => number, spanDays = 700): Date {
  return new Date(BASE_DAY + Math.floor(rand() * spanDays) * 86_400_000);
}
/** Intacct's XML dates: `MM/DD/YYYY`, timestamps `MM/DD/YYYY HH:mm:ss`. */
export function formatDate(d: Date): string {
  return `${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}/${d.getUTCFullYear()}`;
}
export function formatTimestamp(d: Date): string {
  return `${formatDate(d)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
}

const NAMES_A = ['Northwind', 'Blue Ridge', 'Summit', 'Harbor', 'Granite', 'Cedar', 'Pioneer', 'Lakeside'];
const NAMES_B = ['Supply', 'Logistics', 'Consulting', 'Foods', 'Software', 'Print', 'Energy', 'Freight'];
const SUFFIX = ['Inc.', 'LLC', 'Ltd', 'Co.', 'Group', 'GmbH'];
const companyName = (rand: () => number, i: number) =>
  `${pick(rand, NAMES_A)} ${pick(rand, NAMES_B)} ${pick(rand, SUFFIX)} ${i}`;

const common = (rand: () => number): Record<string, string> => {
  const created = day(rand);
  const modified = new Date(created.getTime() + Math.floor(rand() * 90) * 86_400_000 + 3_600_000);
  return {
    WHENCREATED: formatTimestamp(created),
    WHENMODIFIED: formatTimestamp(modified),
    CREATEDBY: '1',
    MODIFIEDBY: '1',
  };
};
const COMMON_FIELDS: FieldDef[] = [
  { name: 'WHENCREATED', type: 'timestamp', label: 'When created', readOnly: true },
  { name: 'WHENMODIFIED', type: 'timestamp', label: 'When modified', readOnly: true },
  { name: 'CREATEDBY', type: 'integer', label: 'Created by', readOnly: true },
  { name: 'MODIFIEDBY', type: 'integer', label: 'Modified by', readOnly: true },
];
const RECORDNO: FieldDef = { name: 'RECORDNO', type: 'integer', label: 'Record number', readOnly: true };
const STATUS: FieldDef = {
  name: 'STATUS',
  type: 'enum',
  label: 'Status',
  values: ['active', 'inactive'],
};

const ACCOUNT_TITLES = [
  ['1000', 'Cash - Operating', 'balancesheet', 'debit'],
  ['1100', 'Accounts Receivable', 'balancesheet', 'debit'],
  ['1200', 'Inventory', 'balancesheet', 'debit'],
  ['2000', 'Accounts Payable', 'balancesheet', 'credit'],
  ['2100', 'Accrued Liabilities', 'balancesheet', 'credit'],
  ['3000', 'Retained Earnings', 'balancesheet', 'credit'],
  ['4000', 'Sales Revenue', 'incomestatement', 'credit'],
  ['5000', 'Cost of Goods Sold', 'incomestatement', 'debit'],
  ['6000', 'Salaries Expense', 'incomestatement', 'debit'],
  ['6100', 'Rent Expense', 'incomestatement', 'debit'],
] as const;

const DEPARTMENTS = ['Sales', 'Finance', 'Engineering', 'Operations', 'Marketing', 'Support', 'Legal', 'HR'];
const CITIES = ['Boston', 'Austin', 'Denver', 'Seattle', 'Chicago', 'Atlanta', 'London', 'Toronto'];

function def(
  object: string,
  label: string,
  nameField: string,
  fields: FieldDef[],
  generate: ObjectDef['generate'],
): ObjectDef {
  return { object, label, nameField, fields: [RECORDNO, ...fields, ...COMMON_FIELDS], generate };
}

export const OBJECT_DEFS: Record<string, ObjectDef> = Object.fromEntries(
  [
    def(
      'VENDOR',
      'Vendor',
      'VENDORID',
      [
        { name: 'VENDORID', type: 'text', label: 'Vendor ID', required: true, unique: true },
        { name: 'NAME', type: 'text', label: 'Vendor name', required: true },
        STATUS,
        { name: 'TERMNAME', type: 'text', label: 'Term' },
        { name: 'TOTALDUE', type: 'decimal', label: 'Total due', readOnly: true },
        { name: 'CURRENCY', type: 'text', label: 'Currency' },
        { name: 'EMAIL1', type: 'text', label: 'Primary email' },
      ],
      (i, rand) => ({
        VENDORID: `V-${pad(i, 5)}`,
        NAME: companyName(rand, i),
        STATUS: rand() < 0.9 ? 'active' : 'inactive',
        TERMNAME: pick(rand, ['Net 30', 'Net 15', 'Net 60', 'Due on receipt']),
        TOTALDUE: money(rand, 25_000),
        CURRENCY: 'USD',
        EMAIL1: `ap${i}@vendor.example.com`,
      }),
    ),
    def(
      'CUSTOMER',
      'Customer',
      'CUSTOMERID',
      [
        { name: 'CUSTOMERID', type: 'text', label: 'Customer ID', required: true, unique: true },
        { name: 'NAME', type: 'text', label: 'Customer name', required: true },
        STATUS,
        { name: 'CREDITLIMIT', type: 'decimal', label: 'Credit limit' },
        { name: 'TOTALDUE', type: 'decimal', label: 'Total due', readOnly: true },
        { name: 'CURRENCY', type: 'text', label: 'Currency' },
      ],
      (i, rand) => ({
        CUSTOMERID: `C-${pad(i, 5)}`,
        NAME: companyName(rand, i),
        STATUS: rand() < 0.92 ? 'active' : 'inactive',
        CREDITLIMIT: String(Math.round(rand() * 20) * 5000),
        TOTALDUE: money(rand, 40_000),
        CURRENCY: 'USD',
      }),
    ),
    def(
      'GLACCOUNT',
      'GL Account',
      'ACCOUNTNO',
      [
        { name: 'ACCOUNTNO', type: 'text', label: 'Account number', required: true, unique: true },
        { name: 'TITLE', type: 'text', label: 'Title', required: true },
        {
          name: 'ACCOUNTTYPE',
          type: 'enum',
          label: 'Account type',
          values: ['balancesheet', 'incomestatement'],
        },
        { name: 'NORMALBALANCE', type: 'enum', label: 'Normal balance', values: ['debit', 'credit'] },
        STATUS,
      ],
      (i, rand) => {
        const base = ACCOUNT_TITLES[(i - 1) % ACCOUNT_TITLES.length]!;
        const series = Math.floor((i - 1) / ACCOUNT_TITLES.length);
        return {
          ACCOUNTNO: String(Number(base[0]) + series * 10),
          TITLE: series ? `${base[1]} ${series + 1}` : base[1],
          ACCOUNTTYPE: base[2],
          NORMALBALANCE: base[3],
          STATUS: rand() < 0.95 ? 'active' : 'inactive',
        };
      },
    ),
    ...(['APBILL', 'ARINVOICE'] as const).map((object) => {
      const ap = object === 'APBILL';
      const party = ap ? 'VENDOR' : 'CUSTOMER';
      return def(
        object,
        ap ? 'AP Bill' : 'AR Invoice',
        'RECORDID',
        [
          { name: 'RECORDID', type: 'text', label: ap ? 'Bill number' : 'Invoice number', unique: true },
          { name: `${party}ID`, type: 'text', label: ap ? 'Vendor ID' : 'Customer ID', required: true },
          { name: `${party}NAME`, type: 'text', label: ap ? 'Vendor name' : 'Customer name', readOnly: true },
          { name: 'WHENPOSTED', type: 'date', label: 'Date posted', required: true },
          { name: 'WHENDUE', type: 'date', label: 'Date due' },
          { name: 'TOTALENTERED', type: 'decimal', label: 'Total entered' },
          { name: 'TOTALDUE', type: 'decimal', label: 'Total due', readOnly: true },
          {
            name: 'STATE',
            type: 'enum',
            label: 'State',
            values: ['Posted', 'Paid', 'Partially Paid', 'Draft'],
          },
          { name: 'CURRENCY', type: 'text', label: 'Currency' },
        ],
        (i, rand) => {
          const posted = day(rand);
          const total = money(rand, 12_000);
          const state = pick(rand, ['Posted', 'Paid', 'Paid', 'Partially Paid']);
          const n = 1 + Math.floor(rand() * 50);
          return {
            RECORDID: `${ap ? 'BILL' : 'INV'}-${pad(i, 6)}`,
            [`${party}ID`]: `${ap ? 'V' : 'C'}-${pad(n, 5)}`,
            [`${party}NAME`]: companyName(seededRandom(n), n),
            WHENPOSTED: formatDate(posted),
            WHENDUE: formatDate(new Date(posted.getTime() + 30 * 86_400_000)),
            TOTALENTERED: total,
            TOTALDUE: state === 'Paid' ? '0.00' : state === 'Posted' ? total : (Number(total) / 2).toFixed(2),
            STATE: state,
            CURRENCY: 'USD',
          };
        },
      );
    }),
    def(
      'GLENTRY',
      'Journal entry line',
      'RECORDNO',
      [
        { name: 'BATCHNO', type: 'integer', label: 'Journal entry number', required: true },
        { name: 'LINE_NO', type: 'integer', label: 'Line number' },
        { name: 'ACCOUNTNO', type: 'text', label: 'Account number', required: true },
        { name: 'AMOUNT', type: 'decimal', label: 'Amount', required: true },
        { name: 'TR_TYPE', type: 'enum', label: 'Transaction type', values: ['1', '-1'] },
        { name: 'ENTRY_DATE', type: 'date', label: 'Entry date' },
        { name: 'DESCRIPTION', type: 'text', label: 'Memo' },
        { name: 'DEPARTMENT', type: 'text', label: 'Department' },
        { name: 'LOCATION', type: 'text', label: 'Location' },
      ],
      (i, rand) => ({
        BATCHNO: String(Math.ceil(i / 2)),
        LINE_NO: String(((i - 1) % 2) + 1),
        ACCOUNTNO: pick(rand, ACCOUNT_TITLES)[0],
        AMOUNT: money(rand, 5_000),
        TR_TYPE: i % 2 ? '1' : '-1',
        ENTRY_DATE: formatDate(day(rand)),
        DESCRIPTION: pick(rand, ['Monthly accrual', 'Payroll', 'Rent', 'Reclass', 'Sales batch']),
        DEPARTMENT: pick(rand, DEPARTMENTS).toUpperCase().slice(0, 3),
        LOCATION: '',
      }),
    ),
    def(
      'DEPARTMENT',
      'Department',
      'DEPARTMENTID',
      [
        { name: 'DEPARTMENTID', type: 'text', label: 'Department ID', required: true, unique: true },
        { name: 'TITLE', type: 'text', label: 'Department name', required: true },
        STATUS,
      ],
      (i) => ({
        DEPARTMENTID: `D${pad(i, 3)}`,
        TITLE: i <= DEPARTMENTS.length ? DEPARTMENTS[i - 1]! : `Department ${i}`,
        STATUS: 'active',
      }),
    ),
    def(
      'LOCATION',
      'Location',
      'LOCATIONID',
      [
        { name: 'LOCATIONID', type: 'text', label: 'Location ID', required: true, unique: true },
        { name: 'NAME', type: 'text', label: 'Location name', required: true },
        { name: 'LOCATIONTYPE', type: 'enum', label: 'Location type', values: ['E', 'L'] },
        STATUS,
      ],
      (i) => ({
        LOCATIONID: `L${pad(i, 3)}`,
        NAME: i <= CITIES.length ? CITIES[i - 1]! : `Location ${i}`,
        LOCATIONTYPE: 'L',
        STATUS: 'active',
      }),
    ),
    def(
      'LOCATIONENTITY',
      'Entity',
      'LOCATIONID',
      [
        { name: 'LOCATIONID', type: 'text', label: 'Entity ID', required: true, unique: true },
        { name: 'NAME', type: 'text', label: 'Entity name', required: true },
        STATUS,
      ],
      undefined,
    ),
    def(
      'USERINFO',
      'User',
      'LOGINID',
      [
        { name: 'LOGINID', type: 'text', label: 'User ID', required: true, unique: true },
        { name: 'DESCRIPTION', type: 'text', label: 'User name' },
        { name: 'CONTACTINFO.EMAIL1', type: 'text', label: 'Email' },
        { name: 'USERTYPE', type: 'text', label: 'User type' },
        { name: 'ADMIN', type: 'text', label: 'Admin privileges' },
        { name: 'STATUS', type: 'text', label: 'Status' },
        { name: 'LOGINDISABLED', type: 'boolean', label: 'Web services only' },
        { name: 'SSO_ENABLED', type: 'boolean', label: 'SSO enabled' },
        { name: 'UNRESTRICTED', type: 'boolean', label: 'Unrestricted entity access' },
      ],
      undefined,
    ),
    def(
      'ROLES',
      'Role',
      'NAME',
      [
        { name: 'NAME', type: 'text', label: 'Role name', required: true, unique: true },
        { name: 'DESCRIPTION', type: 'text', label: 'Description' },
        { name: 'ROLETYPE', type: 'text', label: 'Role type' },
        { name: 'APPLYTO', type: 'text', label: 'Apply to' },
      ],
      undefined,
    ),
    def(
      'USERROLES',
      'User role',
      'USERID',
      [
        { name: 'USERID', type: 'text', label: 'User ID' },
        { name: 'ROLENAME', type: 'text', label: 'Role name' },
      ],
      undefined,
    ),
  ].map((d) => [d.object, d]),
);

/** Objects without a specific generator get an ID/name/status record. */
export function genericDef(object: string): ObjectDef {
  return {
    object,
    label: object.charAt(0) + object.slice(1).toLowerCase(),
    nameField: `${object}ID`,
    fields: [
      RECORDNO,
      { name: `${object}ID`, type: 'text', label: 'ID', required: true, unique: true },
      { name: 'NAME', type: 'text', label: 'Name' },
      STATUS,
      ...COMMON_FIELDS,
    ],
    generate: (i) => ({
      [`${object}ID`]: `${object.slice(0, 3)}-${pad(i, 5)}`,
      NAME: `${object} ${i}`,
      STATUS: 'active',
    }),
  };
}

export function objectDef(object: string): ObjectDef {
  return OBJECT_DEFS[object] ?? genericDef(object);
}

const USER_TYPES: Record<string, string> = {
  business: 'business user',
  employee: 'employee user',
  view_only: 'view only user',
  project_manager: 'project manager user',
  payment_approver: 'payment approver user',
  platform: 'platform user',
};

/** Records that mirror the world (users, roles, entities) rather than generated data. */
function worldRecords(company: Company, object: string): Record<string, string>[] | undefined {
  const stamp = {
    WHENCREATED: '01/02/2024 09:00:00',
    WHENMODIFIED: '01/02/2024 09:00:00',
    CREATEDBY: '1',
    MODIFIEDBY: '1',
  };
  switch (object) {
    case 'USERINFO':
      return company.users.map((u, i) => ({
        RECORDNO: String(i + 1),
        LOGINID: u.id,
        DESCRIPTION: u.name ?? u.id,
        'CONTACTINFO.EMAIL1': u.email ?? '',
        USERTYPE: USER_TYPES[u.type] ?? u.type,
        ADMIN: u.admin === 'off' ? 'Off' : u.admin === 'full' ? 'Full' : 'Limited',
        STATUS: u.status === 'locked_out' ? 'locked out' : u.status,
        LOGINDISABLED: String(u.webServicesOnly),
        SSO_ENABLED: String(u.sso),
        UNRESTRICTED: String(u.entities === 'all'),
        ...stamp,
      }));
    case 'ROLES':
      return company.roles.map((r, i) => ({
        RECORDNO: String(i + 1),
        NAME: r.name,
        DESCRIPTION: r.description ?? '',
        ROLETYPE: 'Enterprise',
        APPLYTO: 'Top level and entity',
        ...stamp,
      }));
    case 'USERROLES': {
      const out: Record<string, string>[] = [];
      for (const u of company.users) {
        for (const role of u.roles) {
          out.push({ RECORDNO: String(out.length + 1), USERID: u.id, ROLENAME: role, ...stamp });
        }
      }
      return out;
    }
    case 'LOCATIONENTITY':
      return company.entities.map((e, i) => ({
        RECORDNO: String(i + 1),
        LOCATIONID: e.id,
        NAME: e.name ?? e.id,
        STATUS: 'active',
        ...stamp,
      }));
    default:
      return undefined;
  }
}

/** Builds the records an object starts with in a company. */
export function initialRecords(company: Company, object: string): Record<string, string>[] {
  const fromWorld = worldRecords(company, object);
  if (fromWorld) return fromWorld;
  const spec = company.records[object];
  const base: Record<string, string>[] = [];
  if (object === 'LOCATION') {
    // Entities are locations of type E; plain locations follow.
    company.entities.forEach((e, i) => {
      base.push({
        RECORDNO: String(i + 1),
        LOCATIONID: e.id,
        NAME: e.name ?? e.id,
        LOCATIONTYPE: 'E',
        STATUS: 'active',
      });
    });
  }
  if (Array.isArray(spec)) {
    spec.forEach((raw, i) => {
      const rec: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw))
        rec[k.toUpperCase()] = v === null || v === undefined ? '' : String(v);
      rec.RECORDNO ??= String(base.length + i + 1);
      base.push(rec);
    });
    return base;
  }
  const count = spec ?? 0;
  const d = objectDef(object);
  const seed = hashString(`${company.id}/${object}`);
  for (let i = 1; i <= count; i++) {
    const rand = seededRandom(seed + i * 7919);
    const recordNo = base.length + 1;
    base.push({ RECORDNO: String(recordNo), ...(d.generate?.(i, rand, company) ?? {}), ...common(rand) });
  }
  return base;
}
