/**
 * Which Intacct application (module) and permission each API object belongs to, as Intacct's UI names
 * them. Permission errors name an object (`... on objects of type GLACCOUNT`), while admins grant rights
 * per application and permission, so diagnosis needs this map. The module names are the subscription
 * names shown at Company › Admin › Subscriptions; the permission names follow the role permission
 * screens as vendors describe them. Intacct does not publish this map (reference U27), so treat the
 * permission labels as our best reading, not as Intacct's exact strings.
 */

export interface ModuleInfo {
  /** Our stable id, also used in world files (`modules: [accounts-payable]`). */
  id: string;
  /** As Intacct's UI shows it. */
  name: string;
  /** The REST API's module segment (`/objects/<restModule>/...`). */
  restModule: string;
}

export const MODULES = {
  company: { id: 'company', name: 'Company', restModule: 'company-config' },
  'general-ledger': { id: 'general-ledger', name: 'General Ledger', restModule: 'general-ledger' },
  'accounts-payable': { id: 'accounts-payable', name: 'Accounts Payable', restModule: 'accounts-payable' },
  'accounts-receivable': {
    id: 'accounts-receivable',
    name: 'Accounts Receivable',
    restModule: 'accounts-receivable',
  },
  'cash-management': { id: 'cash-management', name: 'Cash Management', restModule: 'cash-management' },
  'order-entry': { id: 'order-entry', name: 'Order Entry', restModule: 'order-entry' },
  purchasing: { id: 'purchasing', name: 'Purchasing', restModule: 'purchasing' },
  inventory: { id: 'inventory', name: 'Inventory Control', restModule: 'inventory-control' },
  projects: { id: 'projects', name: 'Projects', restModule: 'projects' },
  contracts: { id: 'contracts', name: 'Contracts', restModule: 'contracts' },
  'time-expenses': { id: 'time-expenses', name: 'Time & Expenses', restModule: 'expenses' },
  taxes: { id: 'taxes', name: 'Taxes', restModule: 'tax' },
} as const satisfies Record<string, ModuleInfo>;

export type ModuleId = keyof typeof MODULES;

export interface ObjectInfo {
  object: string;
  module: ModuleId;
  /** The permission (activity) that governs the object, as the role permission screen names it. */
  permission: string;
  /** REST object path below the module, if the REST API has it. */
  restObject?: string;
  /** Human label for prose. */
  label: string;
}

const o = (
  object: string,
  module: ModuleId,
  permission: string,
  label: string,
  restObject?: string,
): ObjectInfo => ({
  object,
  module,
  permission,
  label,
  ...(restObject ? { restObject } : {}),
});

export const OBJECTS: Record<string, ObjectInfo> = Object.fromEntries(
  [
    o('GLACCOUNT', 'general-ledger', 'Accounts', 'GL accounts', 'account'),
    o('GLENTRY', 'general-ledger', 'Journal Entries', 'journal entry lines', 'journal-entry-line'),
    o('GLBATCH', 'general-ledger', 'Journal Entries', 'journal entries', 'journal-entry'),
    o('GLBUDGETITEM', 'general-ledger', 'Budgets', 'budget lines'),
    o('VENDOR', 'accounts-payable', 'Vendors', 'vendors', 'vendor'),
    o('APBILL', 'accounts-payable', 'Bills', 'AP bills', 'bill'),
    o('APPYMT', 'accounts-payable', 'Payments', 'AP payments', 'payment'),
    o('APTERM', 'accounts-payable', 'Terms', 'AP terms', 'term'),
    o('CUSTOMER', 'accounts-receivable', 'Customers', 'customers', 'customer'),
    o('ARINVOICE', 'accounts-receivable', 'Invoices', 'AR invoices', 'invoice'),
    o('ARPYMT', 'accounts-receivable', 'Receive Payments', 'AR payments', 'payment'),
    o('CHECKINGACCOUNT', 'cash-management', 'Checking Accounts', 'checking accounts', 'checking-account'),
    o('SAVINGSACCOUNT', 'cash-management', 'Savings Accounts', 'savings accounts', 'savings-account'),
    o('DEPARTMENT', 'company', 'Departments', 'departments', 'department'),
    o('LOCATION', 'company', 'Locations', 'locations', 'location'),
    o('LOCATIONENTITY', 'company', 'Entities', 'entities', 'entity'),
    o('USERINFO', 'company', 'Users', 'users', 'user'),
    o('ROLES', 'company', 'Roles', 'roles', 'role'),
    o('USERROLES', 'company', 'Roles', 'role assignments'),
    o('USERRIGHTS', 'company', 'Users', 'user permissions'),
    o('CONTACT', 'company', 'Contacts', 'contacts', 'contact'),
    o('CLASS', 'company', 'Classes', 'classes', 'class'),
    o('EMPLOYEE', 'company', 'Employees', 'employees', 'employee'),
    o('PROJECT', 'projects', 'Projects', 'projects', 'project'),
    o('SODOCUMENT', 'order-entry', 'Transactions', 'order entry transactions', 'document'),
    o('PODOCUMENT', 'purchasing', 'Transactions', 'purchasing transactions', 'document'),
    o('ITEM', 'inventory', 'Items', 'items', 'item'),
    o('CONTRACT', 'contracts', 'Contracts', 'contracts', 'contract'),
    o('EEXPENSES', 'time-expenses', 'Employee Expenses', 'employee expenses', 'employee-expense'),
    o('TAXDETAIL', 'taxes', 'Tax Details', 'tax details', 'tax-detail'),
  ].map((info) => [info.object, info]),
);

export function objectInfo(object: string): ObjectInfo | undefined {
  return OBJECTS[object.toUpperCase()];
}

/** Rights (as Intacct's permission screens label them) each API operation needs. */
export const OPERATION_RIGHTS: Record<string, ReadonlyArray<'list' | 'view' | 'add' | 'edit' | 'delete'>> = {
  readByQuery: ['list'],
  query: ['list'],
  read: ['view'],
  readByName: ['view'],
  readMore: ['list'],
  create: ['add'],
  update: ['edit'],
  delete: ['delete'],
};

/** The operation name Intacct's permission error uses (`... API operation READ_BY_QUERY on objects ...`). */
export const OPERATION_ERROR_NAMES: Record<string, string> = {
  readByQuery: 'READ_BY_QUERY',
  query: 'QUERY',
  read: 'READ',
  readByName: 'READ_BY_NAME',
  readMore: 'READ_MORE',
  create: 'CREATE',
  update: 'UPDATE',
  delete: 'DELETE',
};

export const RIGHT_LABELS = {
  list: 'List',
  view: 'View',
  add: 'Add',
  edit: 'Edit',
  delete: 'Delete',
} as const;
