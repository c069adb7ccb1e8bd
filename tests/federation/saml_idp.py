"""A SAML 2.0 identity provider played by pysaml2 (PyPI, with Debian's xmlsec1), standing in for
an outside provider such as the académie's staff login in Préau's federation tests.

Usage: saml_idp.py PORT ENTITY_ID KEY_PEM CERT_PEM SP_METADATA

GET /sso?SAMLRequest=…&user=SUB&mail=ADDRESS reads Préau's request (HTTP-Redirect binding)
and answers with the page that POSTs a response whose assertion pysaml2 signs (RSA-SHA256),
naming SUB (persistent NameID) with the attribute `mail` (by its name
`urn:oid:0.9.2342.19200300.100.1.3`, as such providers send it) and a password authentication.
"""

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

port, entity_id, key, cert, sp_metadata = sys.argv[1:6]
config = IdPConfig()
config.load({
    "entityid": entity_id,
    "service": {"idp": {
        "endpoints": {"single_sign_on_service": [(f"http://127.0.0.1:{port}/sso", BINDING_HTTP_REDIRECT)]},
        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
        "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
        "want_authn_requests_signed": False,
    }},
    "metadata": {"local": [sp_metadata]},
    "key_file": key,
    "cert_file": cert,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
})
idp = Server(config=config)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        try:
            request = idp.parse_authn_request(q["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
            args = idp.response_args(request.message)
            user = q["user"][0]
            response = idp.create_authn_response(
                {"mail": [q["mail"][0]]}, userid=user, name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport", "authn_auth": entity_id},
                sign_assertion=True, sign_response=False,
                sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", digest_alg="http://www.w3.org/2001/04/xmlenc#sha256", **args)
            page = idp.apply_binding(BINDING_HTTP_POST, str(response), args["destination"], relay_state="", response=True)["data"]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page.encode())
        except Exception as e:  # reported to the test, which fails with it
            self.send_response(500)
            self.end_headers()
            self.wfile.write(repr(e).encode())

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
