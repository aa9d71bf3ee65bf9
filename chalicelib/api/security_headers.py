"""The browser security headers: of the API's answers (every /v1/* response, added by http.log_requests) and of
the back office's files (the SPA in web/). One place for both: CloudFront sends the same from its response
headers policies (infra/template.yml; tests/infra/test_hardening.py keeps them equal) and the local server
(local/server.py) sends them too, so that the end-to-end browser tests run the SPA under its real CSP.

The SPA keeps its bearer token in localStorage, so the CSP is what stands between an XSS and a stolen
session: scripts, styles and connections from the SPA's own origin only, no inline script or style (the SPA
has none: one module script, one stylesheet, DOM built without innerHTML), no plugins, no <base>, no framing.
"""

# The SPA (web/). connect-src gets the API's origin appended when the SPA calls an API on another origin
# (infra/template.yml parameter SpaApiOrigin).
SPA_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)

# JSON and CSV answers render nothing: no source at all, never framed.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"

REFERRER_POLICY = "no-referrer"
HSTS = "max-age=63072000; includeSubDomains"  # browsers ignore it over plain HTTP (the local server)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": REFERRER_POLICY,
    "Strict-Transport-Security": HSTS,
}
API_HEADERS = {**COMMON, "Content-Security-Policy": API_CONTENT_SECURITY_POLICY}
SPA_HEADERS = {**COMMON, "Content-Security-Policy": SPA_CONTENT_SECURITY_POLICY,
               "Permissions-Policy": PERMISSIONS_POLICY}
