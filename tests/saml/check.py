"""Drives Préau's SAML 2.0 identity provider with pysaml2 (PyPI) as the service provider, which
checks signatures with Debian's xmlsec1.

Usage: check.py BASE_URL LOGIN PASSWORD FAMILY_NAME SP_ENTITY_ID ACS_URL SLO_PORT SP_KEY SP_CERT

Signs in with the HTTP-Redirect binding (login form, then the auto-POST page) and with the
HTTP-POST binding (the portal session answers), and checks what pysaml2 accepts: response and
assertion signatures, audience, recipient, InResponseTo, NameID, attributes; and what it
refuses: a tampered assertion, a replayed response. Then logs out of the portal and checks
the signed LogoutRequest Préau sends to the service provider's single logout service (SOAP
binding, on 127.0.0.1:SLO_PORT); signs in again and logs out from the service provider
(its LogoutRequest signed with SP_KEY, whose certificate SP_CERT Préau has), checking the
signed LogoutResponse. Prints one line per check and exits non-zero if any fails.
"""

import base64
import re
import sys
import tempfile
import threading
import time
from html import unescape
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, BINDING_SOAP
from saml2.client import Saml2Client
from saml2.config import SPConfig

base, login, password, family, sp_entity, acs, slo_port, sp_key, sp_cert = sys.argv[1:10]
slo = f"http://127.0.0.1:{slo_port}/slo"
results = []
logouts = []


class SingleLogout(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        logouts.append(self.rfile.read(n).decode())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


threading.Thread(target=HTTPServer(("127.0.0.1", int(slo_port)), SingleLogout).serve_forever, daemon=True).start()


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def hidden(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, html)
    return unescape(m.group(1)) if m else ""


metadata = requests.get(base + "/saml/metadata")
check("the metadata is served", metadata.status_code == 200 and "IDPSSODescriptor" in metadata.text, metadata.status_code)
md_file = tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False)
md_file.write(metadata.text)
md_file.close()

conf = SPConfig()
conf.load({
    "entityid": sp_entity,
    "service": {"sp": {
        "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)], "single_logout_service": [(slo, BINDING_SOAP), (slo, BINDING_HTTP_POST), (slo, BINDING_HTTP_REDIRECT)]},
        "logout_requests_signed": True,
        "allow_unsolicited": False,
        "authn_requests_signed": False,
        "want_assertions_signed": True,
        "want_response_signed": True,
    }},
    "metadata": {"local": [md_file.name]},
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "key_file": sp_key,
    "cert_file": sp_cert,
    "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "allow_unknown_attributes": True,
})
sp = Saml2Client(config=conf)
browser = requests.Session()

# HTTP-Redirect binding, not yet logged in.
req_id, info = sp.prepare_for_authenticate(relay_state="rs-1", binding=BINDING_HTTP_REDIRECT)
location = dict(info["headers"])["Location"]
r = browser.get(location, allow_redirects=False)
check("the login form names the service", r.status_code == 200 and 'name="next"' in r.text, r.status_code)
form = {"login": login, "password": password, "next": hidden(r.text, "next"), "service_name": hidden(r.text, "service_name")}
r = browser.post(base + "/login", data=form, allow_redirects=False)
r = browser.get(base + r.headers["Location"], allow_redirects=False)
saml_response = hidden(r.text, "SAMLResponse")
check("the browser gets a page posting to the ACS", hidden(r.text, "RelayState") == "rs-1" and f'action="{acs}"' in r.text and saml_response, r.text[:300])

authn = sp.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding={req_id: "/"})
check("pysaml2 accepts the signed response (signature, audience, recipient, InResponseTo)", authn is not None)
ava = authn.ava if authn else {}
check("the granted family name is released", ava.get("ENTPersonNom") == [family], ava)
check("idEnt and GARPersonIdentifiant are released for the GAR", ava.get("idEnt") == ["ENT-TEST"] and len(ava.get("GARPersonIdentifiant", [""])[0]) == 32, ava)
check("nothing ungranted is released (no e-mail, no login)", not any(k in ava for k in ("mail", "ENTPersonLogin")), ava)
name_id = authn.name_id if authn else None
check("the NameID is persistent and pseudonymous", name_id is not None and name_id.format.endswith("persistent") and name_id.text != login, name_id)

# The same response again: its InResponseTo is no longer outstanding.
try:
    sp.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding={})
    check("a replayed response is refused", False, "accepted")
except Exception as e:  # pysaml2 raises its own error types
    check("a replayed response is refused", "InResponseTo" in str(e) or "Unsolicited" in type(e).__name__ or "unsolicited" in str(e).lower(), repr(e))

# A tampered assertion: another family name, signatures left as they were.
xml = base64.b64decode(saml_response).decode()
tampered = base64.b64encode(xml.replace(f">{family}<", ">Mallory<").encode()).decode()
req_id2, info2 = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
try:
    sp.parse_authn_request_response(tampered, BINDING_HTTP_POST, outstanding={req_id: "/"})
    check("a tampered assertion is refused for its signature", False, "accepted")
except Exception as e:
    check("a tampered assertion is refused for its signature", "Signature" in type(e).__name__ or "signature" in str(e).lower(), repr(e))

# HTTP-POST binding with the portal session: no login form this time.
req_id3, info3 = sp.prepare_for_authenticate(binding=BINDING_HTTP_POST)
saml_request = hidden(info3["data"], "SAMLRequest")
r = browser.post(base + "/saml/sso", data={"SAMLRequest": saml_request}, allow_redirects=False)
r = browser.get(base + r.headers["Location"], allow_redirects=False)
authn3 = sp.parse_authn_request_response(hidden(r.text, "SAMLResponse"), BINDING_HTTP_POST, outstanding={req_id3: "/"})
check("POST binding with an open session signs in at once", authn3 is not None and authn3.ava.get("ENTPersonNom") == [family])
again = browser.post(base + "/saml/sso", data={"SAMLRequest": saml_request}, allow_redirects=False)
check("a replayed request is refused", again.status_code >= 400, again.status_code)

# Logging out of the portal sends the service provider a signed LogoutRequest for this person.
browser.get(base + "/cas/logout", allow_redirects=False)
for _ in range(50):
    if logouts:
        break
    time.sleep(0.1)
check("a LogoutRequest arrives over SOAP", bool(logouts), "nothing arrived")
if logouts:
    # pysaml2's SOAP parser re-serializes the message with ns0/ns1 prefixes, which breaks any
    # exclusive-canonicalization signature; the request is checked as received, through the
    # parser of the POST binding, which keeps the signed text.
    body = logouts[0]
    start, end = body.find("<samlp:LogoutRequest"), body.find("</samlp:LogoutRequest>")
    inner = body[start:end + len("</samlp:LogoutRequest>")] if start >= 0 and end > start else ""
    try:
        parsed = sp.parse_logout_request(base64.b64encode(inner.encode()).decode(), BINDING_HTTP_POST)
        request = parsed.message
        check("pysaml2 verifies the signed LogoutRequest for the signed-in NameID", request.name_id.text == authn3.name_id.text and parsed.signature_check is not None, request)
    except Exception as e:
        check("pysaml2 verifies the signed LogoutRequest for the signed-in NameID", False, repr(e))

# Logout started by the service provider: a new sign-in, then its signed LogoutRequest.
from urllib.parse import parse_qs, unquote, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

req_id4, info4 = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
r = browser.get(dict(info4["headers"])["Location"], allow_redirects=False)
form = {"login": login, "password": password, "next": hidden(r.text, "next"), "service_name": hidden(r.text, "service_name")}
r = browser.post(base + "/login", data=form, allow_redirects=False)
r = browser.get(base + r.headers["Location"], allow_redirects=False)
authn4 = sp.parse_authn_request_response(hidden(r.text, "SAMLResponse"), BINDING_HTTP_POST, outstanding={req_id4: "/"})
logout = sp.global_logout(authn4.name_id, sign=True, sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
_, http_info = list(logout.values())[0]
request_url = dict(http_info["headers"])["Location"]
check("pysaml2 sends a signed LogoutRequest over the Redirect binding", "Signature=" in request_url and "/saml/slo?" in request_url, request_url[:120])
forged = request_url[: request_url.index("Signature=") + len("Signature=")] + "AAAA" + request_url[request_url.index("Signature=") + len("Signature=") + 4:]
check("a request with a forged signature is refused", browser.get(forged, allow_redirects=False).status_code >= 400)
r = browser.get(request_url, allow_redirects=False)
answer = r.headers.get("Location", "")
errors = re.findall(r'role="alert"[^>]*>([^<]*)<', r.text)
check("Préau answers at the service provider's logout service", answer.startswith(slo + "?SAMLResponse="), (r.status_code, errors, request_url[request_url.index("SigAlg"):][:90]))
raw_query = urlparse(answer).query
signed_part = raw_query[: raw_query.index("&Signature=")]
args = parse_qs(raw_query)
cert_b64 = re.search(r"<ds:X509Certificate>([^<]+)<", metadata.text).group(1)
cert = x509.load_der_x509_certificate(base64.b64decode(cert_b64))
try:
    cert.public_key().verify(base64.b64decode(args["Signature"][0]), signed_part.encode(), padding.PKCS1v15(), hashes.SHA256())
    check("the LogoutResponse's query signature verifies with the metadata's certificate", True)
except Exception as e:
    check("the LogoutResponse's query signature verifies with the metadata's certificate", False, repr(e))
response = sp.parse_logout_request_response(args["SAMLResponse"][0], BINDING_HTTP_REDIRECT)
check("pysaml2 reads a successful LogoutResponse to its request", response is not None and response.response.status.status_code.value.endswith("Success"), response)
check("the portal session is over", browser.get(base + "/portal", allow_redirects=False).headers.get("Location") == "/")

if all(results):
    print(f"{len(results)} checks passed")
sys.exit(0 if all(results) else 1)
