"""Drives Préau's OpenID Connect provider with Authlib (PyPI), a client written by others, and
verifies every token with joserfc against the published JWKS.

Usage: check.py BASE_URL LOGIN PASSWORD FAMILY_NAME CONFIDENTIAL_ID SECRET PUBLIC_ID REDIRECT_URI

Plays a person's browser (login form, consent screen) and two clients: a confidential one
(RS256, client_secret_basic, offline_access) and a public one (ES256, PKCE, no secret). Prints
one line per check and exits non-zero if any fails.
"""

import re
import sys
from html import unescape

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from joserfc import jwt
from joserfc.jwk import KeySet

base, login, password, family, conf_id, conf_secret, pub_id, redirect = sys.argv[1:9]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def hidden(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, html)
    return unescape(m.group(1)) if m else ""


meta = requests.get(base + "/.well-known/openid-configuration").json()
check("discovery names this issuer", meta["issuer"] == base, meta.get("issuer"))
keys = KeySet.import_key_set(requests.get(meta["jwks_uri"]).json())


def verify(id_token, client_id, nonce=None):
    token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
    wanted = {"iss": {"essential": True, "value": meta["issuer"]}, "aud": {"essential": True, "value": client_id}, "sub": {"essential": True}}
    if nonce:
        wanted["nonce"] = {"essential": True, "value": nonce}
    jwt.JWTClaimsRegistry(**wanted).validate(token.claims)
    return token


browser = requests.Session()


def sign_in(client, scope, logged_in):
    """Runs the authorization request in the browser; returns (redirect location, verifier, nonce)."""
    verifier, nonce = generate_token(48), generate_token(16)
    uri, _state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, scope=scope)
    r = browser.get(uri, allow_redirects=False)
    if not logged_in:
        form = {"login": login, "password": password, "next": hidden(r.text, "next"), "service_name": hidden(r.text, "service_name")}
        r = browser.post(base + "/login", data=form, allow_redirects=False)
        r = browser.get(base + r.headers["Location"], allow_redirects=False)
    if r.status_code == 200 and "/oidc/consent" in r.text:
        form = {"csrf": hidden(r.text, "csrf"), "request": hidden(r.text, "request"), "decision": "allow"}
        r = browser.post(base + "/oidc/consent", data=form, allow_redirects=False)
    return r.headers.get("Location", ""), verifier, nonce


# The confidential client: code flow with PKCE, offline access, RS256.
conf = OAuth2Session(conf_id, conf_secret, redirect_uri=redirect, code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
location, verifier, nonce = sign_in(conf, "openid profile offline_access", logged_in=False)
check("the browser comes back to the client with a code", location.startswith(redirect) and "code=" in location, location)
try:
    conf.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier="x" * 43)
    check("a wrong PKCE verifier is refused", False, "accepted")
except OAuthError as e:
    check("a wrong PKCE verifier is refused", e.error == "invalid_grant", e.error)
location, verifier, nonce = sign_in(conf, "openid profile offline_access", logged_in=True)
token = conf.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
id_token = verify(token["id_token"], conf_id, nonce)
check("the ID token is RS256, signed by a published key", id_token.header["alg"] == "RS256", id_token.header)
check("the ID token names the person", id_token.claims["sub"] == login, id_token.claims)
check("the ID token carries the granted family name", id_token.claims.get("family_name") == family, id_token.claims)
check("nothing ungranted is released (no e-mail)", "email" not in id_token.claims, id_token.claims)
info = conf.get(meta["userinfo_endpoint"]).json()
check("userinfo gives the same subject and claims", info.get("sub") == login and info.get("family_name") == family and "email" not in info, info)
intro = conf.introspect_token(meta["introspection_endpoint"], token=token["access_token"]).json()
check("introspection says the access token is active", intro.get("active") is True and intro.get("sub") == login, intro)
old_refresh = token["refresh_token"]
renewed = conf.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
check("a refresh gives a new refresh token", renewed.get("refresh_token") not in (None, old_refresh), renewed)
verify(renewed["id_token"], conf_id)
try:
    conf.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
    check("a reused refresh token is refused", False, "accepted")
except OAuthError as e:
    check("a reused refresh token is refused", e.error == "invalid_grant", e.error)
try:
    conf.refresh_token(meta["token_endpoint"], refresh_token=renewed["refresh_token"])
    check("reuse revokes the whole grant", False, "the rotated token still works")
except OAuthError as e:
    check("reuse revokes the whole grant", e.error == "invalid_grant", e.error)
conf.token = renewed
conf.revoke_token(meta["revocation_endpoint"], token=renewed["access_token"])
intro = conf.introspect_token(meta["introspection_endpoint"], token=renewed["access_token"]).json()
check("a revoked access token is inactive", intro == {"active": False}, intro)

# The public client: no secret, PKCE, ES256.
pub = OAuth2Session(pub_id, redirect_uri=redirect, code_challenge_method="S256", token_endpoint_auth_method="none")
location, verifier, nonce = sign_in(pub, "openid profile", logged_in=True)
token = pub.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
id_token = verify(token["id_token"], pub_id, nonce)
check("the public client's ID token is ES256 and verifies", id_token.header["alg"] == "ES256", id_token.header)
check("the public client gets no refresh token without offline_access", "refresh_token" not in token, token)

if all(results):
    print(f"{len(results)} checks passed")
sys.exit(0 if all(results) else 1)
