"""Reads a person's timetable from Préau's CalDAV server with the `caldav` client library
(PyPI), as a calendar app would: discovery from the root, the calendar home, a time-range
query, then one event fetched by its address. Prints what it found, one line per event:
"<start in UTC> <STATUS> <SUMMARY>".

Usage: check.py <root URL, e.g. http://127.0.0.1:8080/caldav/> <login> <application password>
"""

import datetime
import sys

import caldav

url, login, secret = sys.argv[1:4]
client = caldav.DAVClient(url=url, username=login, password=secret)
principal = client.principal()
calendars = principal.calendars()
print("calendars", len(calendars), calendars[0].name if calendars else "-")
calendar = calendars[0]
utc = datetime.timezone.utc
found = calendar.search(
    start=datetime.datetime(2026, 9, 21, tzinfo=utc),
    end=datetime.datetime(2026, 9, 28, tzinfo=utc),
    event=True,
    expand=False,
)
lines = []
for event in found:
    for v in event.icalendar_instance.walk("VEVENT"):
        start = v["DTSTART"].dt.astimezone(utc).strftime("%Y-%m-%dT%H:%MZ")
        lines.append(f"{start} {v.get('STATUS')} {v['SUMMARY']}")
print("events", len(lines))
for line in sorted(lines):
    print(line)
print("components", ",".join(calendar.get_supported_components()))
# One event again, by its address (a GET), as an app refreshing it does.
again = calendar.event_by_url(found[0].url)
again.load()
print("loaded", again.icalendar_instance.walk("VEVENT")[0]["UID"])
# Both events at once, by their addresses (calendar-multiget).
both = calendar.calendar_multiget([e.url for e in found])
print("multiget", sorted(str(v["SUMMARY"]) for e in both for v in e.icalendar_instance.walk("VEVENT")))
# Nothing can be written.
try:
    calendar.save_event("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260922T080000Z\r\nDTEND:20260922T090000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    print("written")
except caldav.lib.error.AuthorizationError as e:  # the client's error for a 403
    print("refused", e.reason)
