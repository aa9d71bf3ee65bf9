// Unit tests of web/openapi_limits.js: the limits read from an OpenAPI document, the built-in ones otherwise.
// Run: node --test tests/web/   (tests/unit/test_web_modules.py runs them under pytest / make test; the served
// document itself: tests/functional/test_spa_limits.py)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { FALLBACK_LIMITS, limitsFromDocument, waitMinutes } from '../../web/openapi_limits.js';

const doc = {
  paths: {
    '/v1/pos_devices': {
      post: { operationId: 'createPosDevice', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/DeviceIn' } } } } },
    },
    '/v1/pos_devices/{device_id}': { delete: { operationId: 'deletePosDevice', 'x-sync-wait-seconds': 180 } },
    '/v1/stores': {
      post: {
        operationId: 'createStore',
        requestBody: { $ref: '#/components/requestBodies/Store' },
      },
    },
    '/v1/employees': { get: { operationId: 'listEmployees', parameters: [{ $ref: '#/components/parameters/Limit' }] } },
  },
  components: {
    schemas: {
      DeviceIn: { properties: { name: { type: 'string', maxLength: 80 } } },
      StoreIn: { properties: { name: { maxLength: 60 }, address: { anyOf: [{ type: 'string', maxLength: 300 }, { type: 'null' }] } } },
    },
    requestBodies: { Store: { content: { 'application/json': { schema: { $ref: '#/components/schemas/StoreIn' } } } } },
    parameters: { Limit: { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } } },
  },
};

describe('limitsFromDocument', () => {
  test('reads a limit through $refs, anyOf, query parameters and the operation extension', () => {
    const { limits } = limitsFromDocument(doc);
    assert.equal(limits.posName, 80);
    assert.equal(limits.storeName, 60);
    assert.equal(limits.storeAddress, 300);
    assert.equal(limits.listLimitMax, 100);
    assert.equal(limits.syncWaitSeconds, 180);
  });

  test('what the document does not publish keeps the built-in number, and is named', () => {
    const { limits, missing } = limitsFromDocument(doc);
    assert.equal(limits.finalSyncHoursMax, FALLBACK_LIMITS.finalSyncHoursMax);
    assert.equal(limits.employeeName, FALLBACK_LIMITS.employeeName);
    assert.deepEqual(missing.sort(), ['apiTokenName', 'businessName', 'employeeName', 'finalSyncHoursMax', 'passwordMax', 'passwordMin', 'webhookUrl']);
  });

  test('no document, or numbers that are not whole and >= 0: the built-in ones', () => {
    for (const broken of [null, undefined, {}, { paths: null }]) {
      assert.deepEqual(limitsFromDocument(broken).limits, FALLBACK_LIMITS);
    }
    const odd = structuredClone(doc);
    odd.components.schemas.DeviceIn.properties.name.maxLength = '80';
    odd.paths['/v1/pos_devices/{device_id}'].delete['x-sync-wait-seconds'] = -1;
    const { limits, missing } = limitsFromDocument(odd);
    assert.equal(limits.posName, FALLBACK_LIMITS.posName);
    assert.equal(limits.syncWaitSeconds, FALLBACK_LIMITS.syncWaitSeconds);
    assert.ok(missing.includes('posName') && missing.includes('syncWaitSeconds'));
  });

  test('a $ref that loops does not hang', () => {
    const looping = structuredClone(doc);
    looping.components.schemas.DeviceIn = { $ref: '#/components/schemas/DeviceIn' };
    assert.equal(limitsFromDocument(looping).limits.posName, FALLBACK_LIMITS.posName);
  });
});

describe('waitMinutes', () => {
  test('whole minutes, never fewer than the wait', () => {
    assert.equal(waitMinutes(600), 10);
    assert.equal(waitMinutes(180), 3);
    assert.equal(waitMinutes(61), 2);
    assert.equal(waitMinutes(1), 1);
    assert.equal(waitMinutes(0), 0);
  });
});
