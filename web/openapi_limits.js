// The limits the back office checks before sending (name lengths, the final-sync hours, a list's page size, how long
// a deletion waits for a late sync), read from the API's own OpenAPI document: pure (no DOM, no HTTP), so it is
// unit-tested in node. web/limits.js loads the document once and hands the result to the views.

/** The API's numbers when this was written: used only when the document cannot be read (or lacks one). */
export const FALLBACK_LIMITS = Object.freeze({
  posName: 100,
  storeName: 100,
  storeAddress: 500,
  employeeName: 100,
  businessName: 100,
  passwordMin: 8,
  passwordMax: 128,
  finalSyncHoursMax: 168,
  listLimitMax: 250,
  syncWaitSeconds: 600, // POS_SYNC_WAIT_SECONDS (60) x POS_SYNC_WAIT_ATTEMPTS (10)
  apiTokenName: 100,
  webhookUrl: 2000,
});

// Where each limit lives: the operation (by operationId, stable across schema renames), then the request body's
// property, a query parameter, or the operation's own extension, and the JSON Schema keyword.
export const LIMIT_SOURCES = Object.freeze({
  posName: { operation: 'createPosDevice', body: 'name', keyword: 'maxLength' },
  storeName: { operation: 'createStore', body: 'name', keyword: 'maxLength' },
  storeAddress: { operation: 'createStore', body: 'address', keyword: 'maxLength' },
  employeeName: { operation: 'createEmployee', body: 'name', keyword: 'maxLength' },
  businessName: { operation: 'signup', body: 'business_name', keyword: 'maxLength' },
  passwordMin: { operation: 'signup', body: 'password', keyword: 'minLength' },
  passwordMax: { operation: 'signup', body: 'password', keyword: 'maxLength' },
  finalSyncHoursMax: { operation: 'deactivatePosDevice', body: 'final_sync_hours', keyword: 'maximum' },
  listLimitMax: { operation: 'listEmployees', query: 'limit', keyword: 'maximum' },
  syncWaitSeconds: { operation: 'deletePosDevice', extension: 'x-sync-wait-seconds' },
  apiTokenName: { operation: 'createApiToken', body: 'name', keyword: 'maxLength' },
  webhookUrl: { operation: 'createWebhook', body: 'url', keyword: 'maxLength' },
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function resolve(doc, node, depth = 0) {
  if (!node || typeof node !== 'object' || depth > 20) return node;
  const ref = node.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return node;
  const target = ref.slice(2).split('/').reduce((at, part) => (at && typeof at === 'object' ? at[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
  return resolve(doc, target, depth + 1);
}

/** The keyword's value in a schema, also inside anyOf/oneOf/allOf (a nullable field is `anyOf: [{…}, {type: null}]`). */
function keywordOf(doc, schema, keyword, depth = 0) {
  const node = resolve(doc, schema);
  if (!node || typeof node !== 'object' || depth > 10) return undefined;
  if (node[keyword] !== undefined) return node[keyword];
  for (const branch of [...(node.anyOf || []), ...(node.oneOf || []), ...(node.allOf || [])]) {
    const found = keywordOf(doc, branch, keyword, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function operations(doc) {
  const byId = new Map();
  for (const item of Object.values(doc?.paths || {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (operation?.operationId) byId.set(operation.operationId, operation);
    }
  }
  return byId;
}

function valueOf(doc, operation, source) {
  if (!operation) return undefined;
  if (source.extension) return operation[source.extension];
  if (source.body) {
    const schema = resolve(doc, operation.requestBody)?.content?.['application/json']?.schema;
    const property = resolve(doc, schema)?.properties?.[source.body];
    return keywordOf(doc, property, source.keyword);
  }
  const parameter = (operation.parameters || []).map((p) => resolve(doc, p))
    .find((p) => p?.in === 'query' && p?.name === source.query);
  return keywordOf(doc, parameter?.schema, source.keyword);
}

/**
 * The limits a document publishes: `{limits, missing}`; a limit it does not publish (or not as a whole number
 * >= 0) keeps its fallback and is named in `missing`.
 */
export function limitsFromDocument(doc) {
  const byId = operations(doc);
  const limits = { ...FALLBACK_LIMITS };
  const missing = [];
  for (const [name, source] of Object.entries(LIMIT_SOURCES)) {
    const value = valueOf(doc, byId.get(source.operation), source);
    if (Number.isInteger(value) && value >= 0) limits[name] = value;
    else missing.push(name);
  }
  return { limits: Object.freeze(limits), missing };
}

/** A wait in seconds as whole minutes for a sentence ("up to 10 min"), never rounded down to less than it is. */
export function waitMinutes(seconds) {
  return Math.ceil(Math.max(0, seconds) / 60);
}
