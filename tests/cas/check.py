"""Drives Préau's CAS server with python-cas (PyPI), a client written by others.

Usage: check.py BASE_URL LOGIN PASSWORD FAMILY_NAME PORT

Plays a service listening on 127.0.0.1:PORT (registered in Préau as a CAS connector with
`http://127.0.0.1:PORT/` as its service address): signs in through the login form, validates
with CAS 3, 2 and 1 clients, checks single use, asks for a proxy-granting ticket and a proxy
ticket, and receives the single-logout request when the person logs out. Prints one line per
check and exits non-zero if any fails.
"""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import requests
from cas import CASClient, CASClientV2, CASClientV3

base, login, password, family, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
app = f"http://127.0.0.1:{port}/app"
callback = f"http://127.0.0.1:{port}/callback"
server_url = base + "/cas/"
pgts, logouts = {}, []


class Service(BaseHTTPRequestHandler):
    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        if "pgtIou" in q:
            pgts[q["pgtIou"][0]] = q["pgtId"][0]
        self.send_response(200)
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(n).decode())
        logouts.append(form.get("logoutRequest", [""])[0])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


threading.Thread(target=HTTPServer(("127.0.0.1", port), Service).serve_forever, daemon=True).start()
results = []


def check(name, ok):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + name)


def ticket_of(response):
    return parse_qs(urlparse(response.headers.get("Location", "")).query).get("ticket", [""])[0]


browser = requests.Session()
v3 = CASClient(version=3, service_url=app, server_url=server_url, proxy_callback=callback)
page = browser.get(v3.get_login_url())
check("the login URL shows the sign-in form for the service", page.status_code == 200 and 'action="/cas/login"' in page.text)
r = browser.post(base + "/cas/login", data={"login": login, "password": password, "service": app}, allow_redirects=False)
st = ticket_of(r)
check("the form redirects to the service with a ticket", r.status_code in (302, 303) and st.startswith("ST-"))

user, attributes, iou = v3.verify_ticket(st)
check("CAS 3 validation gives the login", user == login)
check("CAS 3 attributes carry the granted ones under their released names", attributes and attributes.get("nom") == family and attributes.get("categories") == "National_3")
check("attributes not granted are not released", attributes and not any(k in attributes for k in ("mail", "ENTPersonDateNaissance", "prenom")))
check("a proxy-granting ticket reached the callback", iou is not None and iou in pgts)
check("a ticket is single-use", v3.verify_ticket(st)[0] is None)
check("a forged ticket is refused", v3.verify_ticket("ST-" + "0" * 32)[0] is None)

proxy_tickets = []
if iou in pgts:
    pt = CASClient(version=3, service_url=app, server_url=server_url).get_proxy_ticket(pgts[iou])
    proxy_tickets.append(pt)
    check("the proxy-granting ticket gives a proxy ticket", pt.startswith("PT-"))

    class ProxyValidate(CASClientV2):
        url_suffix = "proxyValidate"

    check("serviceValidate refuses a proxy ticket", CASClient(version=2, service_url=app, server_url=server_url).verify_ticket(pt)[0] is None)
    pt = CASClient(version=3, service_url=app, server_url=server_url).get_proxy_ticket(pgts[iou])
    proxy_tickets.append(pt)
    check("proxyValidate accepts the proxy ticket", ProxyValidate(service_url=app, server_url=server_url).verify_ticket(pt)[0] == login)

tickets = [st] + proxy_tickets
for version in (2, 1):
    client = CASClient(version=version, service_url=app, server_url=server_url)
    r = browser.get(client.get_login_url(), allow_redirects=False)
    t = ticket_of(r)
    tickets.append(t)
    check(f"single sign-on: the portal session gives a ticket without a password (CAS {version})", t.startswith("ST-"))
    check(f"CAS {version} validation gives the login", client.verify_ticket(t)[0] == login)

r = browser.get(v3.get_logout_url(redirect_url=app), allow_redirects=False)
check("logout returns to the registered service", r.status_code in (302, 303) and r.headers.get("Location") == app)
deadline = time.time() + 5
while len(logouts) < len(tickets) and time.time() < deadline:
    time.sleep(0.05)
check("every ticket of the session (proxy tickets too) got its single-logout request", len(logouts) == len(tickets))
check("each logout request names its ticket", all(any(CASClientV3.verify_logout_request(body, t) for t in tickets) for body in logouts))
r = browser.get(v3.get_login_url(), allow_redirects=False)
check("after logout the portal session is gone", r.status_code == 200 and "ticket=" not in r.headers.get("Location", ""))

print(f"{sum(results)}/{len(results)} checks passed")
sys.exit(0 if all(results) else 1)
