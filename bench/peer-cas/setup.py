"""Creates the benchmark's user and service in the peer, logs in through its form, and prints
the session cookie header that the benchmark's flows reuse. Usage: setup.py BASE_URL"""
import re
import sys

import django

django.setup()
from cas_server.models import ReplaceAttributName, ServicePattern  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
import requests  # noqa: E402

base = sys.argv[1]
if not User.objects.filter(username="claire").exists():
    User.objects.create_user("claire", "claire@example.org", "demo-enseignant", first_name="Claire", last_name="Demo")
pattern, _ = ServicePattern.objects.get_or_create(name="vie-scolaire", pattern="^https://vs\\.example\\.org/ent/.*", defaults={"pos": 1})
for name, replace in (("last_name", "nom"), ("first_name", "prenom")):
    ReplaceAttributName.objects.get_or_create(name=name, replace=replace, service_pattern=pattern)
s = requests.Session()
page = s.get(base + "/cas/login").text
fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', page))
fields.update({"username": "claire", "password": "demo-enseignant"})
r = s.post(base + "/cas/login", data=fields, headers={"Referer": base + "/cas/login"}, allow_redirects=False)
if "sessionid" not in s.cookies:
    sys.exit(f"login failed: {r.status_code}")
print("; ".join(f"{k}={v}" for k, v in s.cookies.items()))
