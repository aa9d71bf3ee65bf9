"""Issue 27.7: every API answer carries the browser security headers (the same as CloudFront's /v1/* policy), so a
JSON or CSV answer opened in a browser renders nothing active and is never framed, also when API Gateway is
called directly."""
from chalicelib.api.security_headers import API_HEADERS


def _headers(response) -> dict:
    return {name.lower(): value for name, value in response.headers.items()}


def test_success_error_and_preflight_answers_carry_the_security_headers(client):
    owner = client.signup()
    answers = [
        client.http.http.get("/v1/stores", headers={"Authorization": f"Bearer {owner.token}"}),       # 200
        client.http.http.get("/v1/stores"),                                                            # 401
        client.http.http.get("/v1/stores/nope", headers={"Authorization": f"Bearer {owner.token}"}),  # 404
        client.http.http.post("/v1/auth/login", body=b"{not json", headers={"Content-Type": "application/json"}),
        client.http.http.request("OPTIONS", "/v1/stores"),                                             # 204
    ]
    assert [a.status_code for a in answers] == [200, 401, 404, 400, 204]
    for answer in answers:
        headers = _headers(answer)
        for name, value in API_HEADERS.items():
            assert headers.get(name.lower()) == value, (answer.status_code, name)
    assert API_HEADERS["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
