"""SPEC 1.1: Basic authentication of service users, route permissions, and routing first."""

from __future__ import annotations

import base64
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from itg.services.registry import SERVICES
from itg.storage import tenants
from itg.storage.schema import service_users
from tests.errors import error_body

UNAUTHORIZED = error_body(401, "Unauthorized")
RECORDS = [{"codigo": "C1", "nome": "Centro 1"}]
# Near misses of real routes: case, one trailing slash and repeated slashes are forgiven
# (SPEC 1.1, tests/e2e/test_lenient_wire.py), spelling is not.
MISSPELLED_ROUTES = ["/absence", "/payment-date", "/anticipates", "/subsidiary", "/user"]


def basic(credentials: bytes, scheme: str = "Basic") -> dict[str, str]:
    return {"Authorization": f"{scheme} {base64.b64encode(credentials).decode()}"}


# --- 401 without credentials -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/people"), ("POST", "/costcenter"), ("GET", "/process")]
)
def test_no_authorization_header_is_401_with_a_basic_challenge(
    client: TestClient, tenant, stored_requests, method, path
):
    # Given a request without an Authorization header
    # When it is sent
    response = client.request(method, path, json=RECORDS, params={"subunique": "0badf00d"})
    # Then it is refused with the Basic challenge, and nothing is stored
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'
    assert response.headers["content-type"] == "application/json"
    assert response.json() == UNAUTHORIZED
    assert stored_requests() == 0


# --- 400 malformed header ----------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("Basic", id="scheme-without-token"),
        pytest.param("dXNlcjpwYXNz", id="token-without-scheme"),
        pytest.param("Bearer", id="other-scheme-without-credentials"),
        pytest.param("Bearer a b", id="other-scheme-with-two-tokens"),
        pytest.param('Digest realm="unterminated', id="other-scheme-bad-quoted-string"),
        pytest.param("B@arer xyz", id="scheme-not-a-token"),
        pytest.param("Basic not*base64!", id="bad-base64-characters"),
        pytest.param("Basic dXNlcjpwYXM", id="bad-base64-length"),
        pytest.param("Basic " + base64.b64encode(b"\xff\xfe:secret").decode(), id="not-utf8"),
        pytest.param("Basic " + base64.b64encode(b"user-without-colon").decode(), id="no-colon"),
        pytest.param(b"Basic \xc3\xb1\xc3\xb1==", id="non-ascii-token"),
    ],
)
def test_malformed_authorization_header_is_400(
    client: TestClient, tenant, stored_requests, assert_error, header
):
    # Given an Authorization header that is not a usable Basic credential
    # When a request carries it
    response = client.post("/costcenter", json=RECORDS, headers={"Authorization": header})
    # Then it is a 400 naming the header, and nothing is stored
    assert_error(response, 400, "Malformed Authorization header")
    assert stored_requests() == 0


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer xyz", id="bearer"),
        pytest.param("bearer dXNlcjpwYXNz==", id="bearer-token68"),
        pytest.param(
            'Digest username="user", realm="itg", nonce="abc", uri="/people"', id="digest"
        ),
        pytest.param("Digest username=user", id="digest-token-param"),
        pytest.param("Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu", id="negotiate"),
        pytest.param("Token x", id="made-up-scheme"),
    ],
)
def test_another_well_formed_scheme_is_401_with_the_basic_challenge(
    client: TestClient, tenant, stored_requests, assert_error, header
):
    # Given credentials of a scheme the server does not support (RFC 9110 11.6.1)
    # When a request carries them
    response = client.post("/costcenter", json=RECORDS, headers={"Authorization": header})
    # Then it is unauthorized with the Basic challenge, and nothing is stored
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'
    assert stored_requests() == 0


def test_another_scheme_on_the_monitor_is_401_too(client: TestClient, tenant, assert_error):
    # Given a monitor read with a bearer token
    headers = {"Authorization": "Bearer xyz"}
    # When it is sent
    response = client.get("/process", params={"subunique": "0badf00d"}, headers=headers)
    # Then it is unauthorized with the Basic challenge
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
def test_basic_scheme_is_case_insensitive(client: TestClient, tenant, scheme):
    # Given valid credentials under a differently-cased scheme name
    headers = basic(f"{tenant.username}:{tenant.password}".encode(), scheme)
    # When a request is sent
    response = client.post("/costcenter", json=RECORDS, headers=headers)
    # Then it is accepted
    assert response.status_code == 200
    assert response.json()["company"] == tenant.code


# --- 401 bad credentials -----------------------------------------------------------------


def test_unknown_user_is_401(client: TestClient, tenant, stored_requests, assert_error):
    # Given a username that does not exist
    headers = basic(f"nobody:{tenant.password}".encode())
    # When it posts
    response = client.post("/costcenter", json=RECORDS, headers=headers)
    # Then it is unauthorized, with the challenge, and nothing is stored
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'
    assert stored_requests() == 0


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("wrong-password", id="other"),
        pytest.param("", id="empty"),
        pytest.param("{password}x", id="with-suffix"),
        pytest.param("{password_upper}", id="other-case"),
    ],
)
def test_wrong_password_is_401(client: TestClient, tenant, stored_requests, assert_error, password):
    # Given the right username with a wrong password
    wrong = password.format(password=tenant.password, password_upper=tenant.password.swapcase())
    headers = basic(f"{tenant.username}:{wrong}".encode())
    # When it posts
    response = client.post("/costcenter", json=RECORDS, headers=headers)
    # Then it is unauthorized, with the challenge, and nothing is stored
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'
    assert stored_requests() == 0


def test_disabled_user_is_401(client: TestClient, db, tenant, stored_requests, assert_error):
    # Given a user that worked and was then disabled
    assert client.post("/costcenter", json=RECORDS, headers=tenant.headers).status_code == 200
    tenants.disable_user(db, tenant.username)
    # When it posts with its right password
    response = client.post("/costcenter", json=RECORDS, headers=tenant.headers)
    # Then it is unauthorized, and only the first request is stored
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'
    assert stored_requests() == 1


def test_reset_password_replaces_the_old_one_at_once(client: TestClient, db, tenant, assert_error):
    # Given a user whose password is reset (credential cache disabled by the fixture)
    _, new_password = tenants.reset_password(db, tenant.username)
    # When the old and the new password are used
    old = client.post("/costcenter", json=RECORDS, headers=tenant.headers)
    new = client.post(
        "/costcenter", json=RECORDS, headers=basic(f"{tenant.username}:{new_password}".encode())
    )
    # Then only the new one works
    assert_error(old, 401, "Unauthorized")
    assert new.status_code == 200


def test_disabling_takes_effect_when_the_credential_cache_expires(
    make_client, db, tenant, assert_error
):
    # Given a server caching credentials for 0.3 s, which has just seen the user
    api = make_client(credential_cache_seconds=0.3)
    assert api.post("/costcenter", json=RECORDS, headers=tenant.headers).status_code == 200
    # When the user is disabled and the cache lifetime passes
    tenants.disable_user(db, tenant.username)
    time.sleep(0.4)
    # Then the server refuses it
    assert_error(api.post("/costcenter", json=RECORDS, headers=tenant.headers), 401, "Unauthorized")


# --- 403 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("POST", "/costcenter"), ("GET", "/process")])
def test_disabled_company_is_403(
    client: TestClient, db, tenant, stored_requests, assert_error, method, path
):
    # Given a company that has been disabled
    tenants.disable_company(db, tenant.code)
    # When its (enabled) user sends a request with the right password
    response = client.request(
        method, path, json=RECORDS, params={"subunique": "0badf00d"}, headers=tenant.headers
    )
    # Then it is forbidden, without a challenge, and nothing is stored
    assert_error(response, 403, "Forbidden")
    assert "www-authenticate" not in response.headers
    assert stored_requests() == 0


@pytest.mark.parametrize(("method", "path"), [("POST", "/costcenter"), ("GET", "/process")])
def test_route_not_allowed_is_403(
    client: TestClient, tenant, add_user, stored_requests, assert_error, method, path
):
    # Given a user allowed only the people route
    people_only = add_user("people-only", tenant, ("people",))
    # When it uses another route
    response = client.request(
        method, path, json=RECORDS, params={"subunique": "0badf00d"}, headers=people_only.headers
    )
    # Then it is forbidden, and nothing is stored
    assert_error(response, 403, "Forbidden")
    assert stored_requests() == 0


def test_allowed_route_of_a_restricted_user_is_accepted(client: TestClient, tenant, add_user):
    # Given a user allowed only the people route
    people_only = add_user("people-only", tenant, ("people",))
    # When it posts people
    response = client.post("/people", json=[{"matricula": "1"}], headers=people_only.headers)
    # Then it is accepted for its company
    assert response.status_code == 200
    assert response.json()["message"] == "People Integration on progress"


@pytest.mark.parametrize("path", ["/healthz", "/docs", "/openapi.json"])
def test_public_endpoints_need_no_credentials(client: TestClient, path):
    # Given no Authorization header
    # When a public endpoint is read
    response = client.get(path)
    # Then it answers without asking for credentials
    assert response.status_code == 200
    assert "www-authenticate" not in response.headers


# --- routing first -----------------------------------------------------------------------


@pytest.mark.parametrize("with_credentials", [False, True], ids=["anonymous", "authenticated"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("POST", "/nothing-here"),
        ("GET", "/process/extra"),
        ("POST", "/People/extra"),
        pytest.param("POST", "/people/x/", id="POST-/people/x/-trailing-slash"),
        *[("POST", path) for path in MISSPELLED_ROUTES],
        *[("GET", path) for path in MISSPELLED_ROUTES],
    ],
)
def test_unknown_path_is_404(
    client: TestClient, tenant, stored_requests, assert_error, method, path, with_credentials
):
    # Given a path the API does not serve
    headers = tenant.headers if with_credentials else {}
    # When it is requested, with or without credentials
    response = client.request(method, path, json=RECORDS, headers=headers, follow_redirects=False)
    # Then it is 404 (routing comes before authentication), and nothing is stored
    assert_error(response, 404, "Not Found")
    assert stored_requests() == 0


@pytest.mark.parametrize(
    ("path", "route"),
    [("/People", "people"), ("/people/", "people"), ("/PEOPLE/", "people"),
     ("/paymentdate", "paymentDate"), ("/costCenter", "costcenter")],
)  # fmt: skip
def test_a_route_name_in_another_case_or_with_a_trailing_slash_is_the_route(
    client: TestClient, tenant, stored_requests, path, route
):
    # Given a route path spelled leniently (SPEC 1.1)
    # When records are posted to it
    response = client.post(path, json=RECORDS, headers=tenant.headers, follow_redirects=False)
    # Then the route accepts them where they arrived: no redirect
    assert response.status_code == 200
    assert response.json()["message"] == SERVICES[route].accepted_message
    assert stored_requests() == 1


@pytest.mark.parametrize("with_credentials", [False, True], ids=["anonymous", "authenticated"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/people"),
        ("GET", "/People/"),
        ("PUT", "/people"),
        ("DELETE", "/costcenter"),
        ("PATCH", "/costcenter"),
        ("POST", "/process"),
        ("POST", "/healthz"),
        *[("GET", path) for path in ("/absences", "/paymentDate", "/anticipate")],
        *[("GET", path) for path in ("/subsidiaries", "/users")],
    ],
)
def test_wrong_method_is_405(
    client: TestClient, tenant, stored_requests, assert_error, method, path, with_credentials
):
    # Given a served path and a method it does not accept
    headers = tenant.headers if with_credentials else {}
    # When it is requested, with or without credentials
    response = client.request(method, path, json=RECORDS, headers=headers)
    # Then it is 405 (routing comes before authentication), and nothing is stored
    assert_error(response, 405, "Method Not Allowed")
    assert stored_requests() == 0


# --- secrets -----------------------------------------------------------------------------


def test_passwords_are_stored_only_hashed(db, tenant, other_company):
    # Given two service users with server-generated passwords
    # When the service_users table is read
    with db.read() as conn:
        rows = conn.execute(select(service_users)).mappings().all()
    # Then no column of any row holds a password, and the two passwords differ
    stored = " ".join(str(value) for row in rows for value in row.values())
    assert len(rows) == 2
    assert tenant.password not in stored
    assert other_company.password not in stored
    assert tenant.password != other_company.password
    assert {row["password_hash"] for row in rows}.isdisjoint(
        {tenant.password, other_company.password}
    )
