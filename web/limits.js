// The API's limits, from one place: its OpenAPI document (GET /v1/openapi.json, public), read once per page load
// and kept; the numbers in openapi_limits.js only when the document cannot be read. Views `await loadLimits()`
// before they draw a form; app.js starts the load at boot, so it runs alongside a view's own requests.
import { apiDocument } from './api.js';
import { FALLBACK_LIMITS, limitsFromDocument } from './openapi_limits.js';

let pending = null;

/** Resolves with the limits (never rejects): the document's, or the fallback when it could not be read. */
export function loadLimits() {
  if (!pending) {
    pending = apiDocument()
      .then((doc) => {
        const { limits, missing } = limitsFromDocument(doc);
        if (missing.length) console.warn(`openapi.json does not publish ${missing.join(', ')}: using the built-in values`);
        return limits;
      })
      .catch((error) => {
        console.warn('openapi.json could not be read: using the built-in limits', error);
        pending = null; // the next view asks again
        return FALLBACK_LIMITS;
      });
  }
  return pending;
}
