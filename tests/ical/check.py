"""Reads a calendar feed with the `icalendar` library, strictly, and prints what a calendar app
would show: one line per event (start in UTC, status, summary, location), in order.

Usage: check.py FILE
"""
import sys
from datetime import timezone

import icalendar

with open(sys.argv[1], "rb") as f:
    raw = f.read()
cal = icalendar.Calendar.from_ical(raw)
errors = []
for component in cal.walk():
    for prop, err in getattr(component, "errors", []):
        errors.append(f"{component.name}.{prop}: {err}")
if errors:
    print("ERRORS", *errors, sep="\n")
    sys.exit(1)
# A strict round trip: what the library writes back parses to the same events.
again = icalendar.Calendar.from_ical(cal.to_ical())
events = cal.walk("VEVENT")
assert len(events) == len(again.walk("VEVENT"))
assert cal.get("VERSION") == "2.0" and cal.get("PRODID")
uids = set()
for e in events:
    for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
        assert required in e, f"an event without {required}"
    assert e["UID"] not in uids, f"two events with UID {e['UID']}"
    uids.add(e["UID"])
    start, end = e.decoded("DTSTART"), e.decoded("DTEND")
    assert start.tzinfo is not None and start < end, f"bad times in {e['UID']}"
    print(start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ"), e.get("STATUS"), e.get("SUMMARY"), e.get("LOCATION", ""))
