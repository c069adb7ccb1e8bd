#!/usr/bin/env python3
"""Runs the scim2-tester compliance checks against a SCIM 2.0 server.

Usage: check.py BASE_URL TOKEN  (e.g. http://127.0.0.1:8080/scim/v2 preau_scim_…)
Prints every check that did not succeed and exits 1 if any failed or none ran.
"""
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, token = sys.argv[1].rstrip("/"), sys.argv[2]
    http = Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    results = check_server(SyncSCIMClient(http))
    failed = [r for r in results if r.status not in (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE)]
    for r in failed:
        print(f"{r.status.name}: [{r.resource_type or '-'}] {r.title}: {r.reason}")
    print(f"scim2-tester: {len(results) - len(failed)} of {len(results)} checks passed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
