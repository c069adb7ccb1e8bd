//! The OpenAPI 3.1 description of `/api/v1`, built from one table of operations so that it
//! cannot forget a route (a test compares it with the router).

use axum::Json;
use serde_json::{Map, Value, json};

/// (method, path, summary, request body schema name or "", success status)
pub const OPERATIONS: &[(&str, &str, &str, &str, u16)] = &[
    ("post", "/api/v1/session", "Log in with a login and password; sets the session cookie and returns the CSRF token", "Login", 200),
    ("delete", "/api/v1/session", "Log out (closes the session)", "", 204),
    ("get", "/api/v1/me", "The caller's portal: person, acting structure and profile, bouquet, children", "", 200),
    ("get", "/api/v1/structures", "Structures the caller administers", "", 200),
    ("post", "/api/v1/structures", "Create a structure (territory admin)", "StructureInput", 201),
    ("get", "/api/v1/structures/{id}", "One structure the caller administers", "", 200),
    ("put", "/api/v1/structures/{id}", "Edit a structure (territory admin)", "StructureInput", 200),
    ("get", "/api/v1/structures/{id}/people", "People of a structure (query: profile, q)", "", 200),
    ("get", "/api/v1/structures/{id}/groups", "Classes and groups of a structure", "", 200),
    ("get", "/api/v1/structures/{id}/bouquet/{profile}", "The ordered bouquet of a structure for a profile", "", 200),
    ("put", "/api/v1/structures/{id}/bouquet/{profile}", "Set the ordered bouquet of a structure for a profile", "Bouquet", 200),
    ("post", "/api/v1/people", "Create a person with one profile in one structure; returns an activation code", "PersonInput", 201),
    ("get", "/api/v1/people/{id}", "A person the caller manages, with memberships and account state", "", 200),
    ("post", "/api/v1/people/{id}/block", "Block an account (closes its sessions)", "", 204),
    ("delete", "/api/v1/people/{id}/block", "Unblock an account", "", 204),
    ("post", "/api/v1/people/{id}/activation-code", "Issue a fresh activation code", "", 201),
    ("post", "/api/v1/groups", "Create a class or group", "GroupInput", 201),
    ("post", "/api/v1/groups/{id}/members", "Add a member to a group", "Member", 204),
    ("get", "/api/v1/services", "The territory's catalogue of services", "", 200),
    ("post", "/api/v1/services", "Add a service to the catalogue (territory admin)", "ServiceInput", 201),
    ("put", "/api/v1/services/{id}", "Edit a service of the catalogue (territory admin)", "ServiceInput", 200),
    (
        "post",
        "/api/v1/session/mfa",
        "Give the second factor of a session opened with mfa_pending (TOTP or recovery code; remember: trust this device)",
        "SecondFactor",
        204,
    ),
    ("get", "/api/v1/identity-providers", "The outside OpenID Connect providers people may log in with (territory admin)", "", 200),
    (
        "post",
        "/api/v1/identity-providers",
        "Register an outside provider: issuer, client, the claim and rule (aaf or email) that find the account",
        "UpstreamInput",
        201,
    ),
    ("get", "/api/v1/mfa-policy", "The profiles that must use a second factor (administrators always must)", "", 200),
    ("put", "/api/v1/mfa-policy", "Set the profiles that must use a second factor (territory admin)", "MfaPolicy", 204),
    ("delete", "/api/v1/people/{id}/mfa", "Remove a person's second factor (lost phone); they enrol again at their next login", "", 204),
    ("get", "/api/v1/connectors", "The territory's connectors with their release policies (admins)", "", 200),
    ("post", "/api/v1/connectors", "Register a connector (territory admin, or local admin for their school)", "ConnectorInput", 201),
    ("get", "/api/v1/connectors/{id}", "One connector", "", 200),
    ("put", "/api/v1/connectors/{id}", "Change a connector the caller manages", "ConnectorInput", 200),
    ("post", "/api/v1/connectors/{id}/secret", "Renew a confidential OpenID Connect client's secret (returned once, in client_secret)", "", 200),
    ("get", "/api/v1/launches", "Launch counts per day, connector, structure and profile (query: from, to as YYYY-MM-DD)", "", 200),
    ("get", "/api/v1/roles", "Role assignments the caller may see", "", 200),
    ("post", "/api/v1/roles", "Grant a role to a person in a structure or the territory", "RoleGrant", 201),
    ("delete", "/api/v1/roles/{id}", "Revoke a role assignment", "", 204),
    ("get", "/api/v1/audit", "The audit log the caller may read (query: limit)", "", 200),
    ("get", "/api/v1/structures/{id}/communication-rules", "Who may write to whom in a structure (defaults until changed; local admin)", "", 200),
    (
        "put",
        "/api/v1/structures/{id}/communication-rules",
        "Replace a structure's communication rules: [{from, to}] audiences ENS, class:TUT, group:<id>",
        "Rules",
        200,
    ),
    ("delete", "/api/v1/structures/{id}/communication-rules", "Go back to the default communication rules", "", 200),
    ("get", "/api/v1/communication/picker", "Audiences and people the caller may write to (query: q)", "", 200),
    ("get", "/api/v1/communication/may-write/{person}", "Whether the caller may write to this person", "", 200),
    ("get", "/api/v1/messages", "A folder of the caller's messages, newest first (query: folder inbox|sent|drafts|trash, q)", "", 200),
    (
        "post",
        "/api/v1/messages",
        "Send a message (or keep a draft): to, cc, bcc targets, subject, body, send_at, no_reply, reply_to, attachments (upload ids)",
        "MessageInput",
        201,
    ),
    (
        "post",
        "/api/v1/attachments",
        "Upload a file to attach to a message (the body is the file; query: name); at most 10 MiB, unattached uploads purged after a day",
        "",
        201,
    ),
    ("post", "/api/v1/attachments/from-document/{id}", "A file of the caller's documents (one they may read) copied as an upload to attach", "", 201),
    ("get", "/api/v1/messages/{id}/attachments/{file}", "Download a file of a message the caller sent or received, as an attachment", "", 200),
    ("get", "/api/v1/messages/unread", "How many messages wait unread in the caller's inbox", "", 200),
    ("get", "/api/v1/messages/{id}", "Open a message (marks it read) with its thread", "", 200),
    ("delete", "/api/v1/messages/{id}", "Delete a message from the caller's folders for good", "", 204),
    ("put", "/api/v1/messages/{id}/folder", "Move a message to the trash or back: {folder: trash|inbox}", "Folder", 204),
    ("post", "/api/v1/messages/{id}/recall", "Take a sent message back from everyone who has not read it", "", 200),
    ("post", "/api/v1/messages/{id}/acknowledge", "Carnet de liaison: acknowledge a message that asks for it", "", 204),
    ("get", "/api/v1/messages/{id}/acknowledgements", "Carnet de liaison: who has and has not acknowledged (sender only)", "", 200),
    ("post", "/api/v1/messages/{id}/remind", "Carnet de liaison: remind those who have not acknowledged", "", 200),
    ("get", "/api/v1/news", "The caller's news: published for them, and what waits for their work (drafts, submissions to publish)", "", 200),
    ("post", "/api/v1/news", "Write a news item of a structure, class or group for chosen profiles (submit: hand it to the publishers)", "NewsInput", 201),
    ("get", "/api/v1/news/{id}", "A news item the caller may read", "", 200),
    ("put", "/api/v1/news/{id}", "Change a news item (its author before publication, a publisher at any time)", "NewsInput", 200),
    ("post", "/api/v1/news/{id}/{step}", "Move a news item along: submit (author), publish or reject (publisher); publishing notifies its readers", "", 200),
    ("get", "/api/v1/reports", "Open reports of the structures the caller moderates, with the content", "", 200),
    ("post", "/api/v1/reports", "Report a message received or a news item read: {kind: message|news, id, reason}", "ReportBody", 201),
    ("post", "/api/v1/reports/{id}/decision", "A moderator's decision: {hide: true} hides the content for everyone; logged", "DecisionBody", 200),
    ("get", "/api/v1/notifications", "The caller's notification feed, newest first", "", 200),
    ("get", "/api/v1/notifications/settings", "What the caller receives live and by e-mail per kind of event, and their quiet hours", "", 200),
    (
        "put",
        "/api/v1/notifications/settings",
        "Set the caller's preferences and quiet hours (null: their school's or the default)",
        "NotificationSettings",
        200,
    ),
    ("put", "/api/v1/structures/{id}/quiet-hours", "A structure's default quiet hours for its people (null: Préau's default; local admin)", "QuietBody", 204),
    ("get", "/api/v1/documents/spaces", "The caller's document spaces: their own, their classes' and groups', their schools', with their level", "", 200),
    ("get", "/api/v1/documents/spaces/{space}", "A folder's contents (space: person:<id>, group:<id>, structure:<id>; query: folder)", "", 200),
    ("post", "/api/v1/documents/spaces/{space}/folders", "A new folder: {name, folder}", "", 201),
    (
        "put",
        "/api/v1/documents/spaces/{space}/files",
        "Upload a file (the body; query: name, folder): 201 a new file, 200 a new version of the file of that name; refused up front over quota when Content-Length says so",
        "",
        201,
    ),
    ("get", "/api/v1/documents/shared", "What others shared with the caller, with the caller's level", "", 200),
    (
        "get",
        "/api/v1/structures/{id}/public-link-policy",
        "The structure's rule for public links (its administrators): {forbidden: [profile codes], own}",
        "",
        200,
    ),
    (
        "put",
        "/api/v1/structures/{id}/public-link-policy",
        "Set the structure's own rule for public links: {forbidden: [profile codes]}, or {forbidden: null} for the territory's",
        "",
        204,
    ),
    (
        "get",
        "/api/v1/structures/{id}/documents-usage",
        "What a school's shared spaces hold and may hold: {used, quota} (its direction and local admins)",
        "",
        200,
    ),
    ("get", "/api/v1/documents/usage", "How much the caller's own space holds and may hold: {used, quota}", "", 200),
    ("get", "/api/v1/documents/trash", "What the caller may restore: what they deleted, and what was deleted in spaces they manage", "", 200),
    ("post", "/api/v1/documents/trash/{id}/restore", "Restore a deleted file or folder to its place (renamed if the name was taken)", "", 200),
    ("delete", "/api/v1/documents/trash/{id}", "Delete a trashed file or folder for good", "", 204),
    (
        "get",
        "/api/v1/documents/nodes/{id}",
        "A file or folder the caller may read, with their level and whether they may rename it, move or delete it",
        "",
        200,
    ),
    ("patch", "/api/v1/documents/nodes/{id}", "Rename ({name}) or move ({space, folder}) a file or folder", "", 200),
    ("delete", "/api/v1/documents/nodes/{id}", "Move a file or folder to the trash", "", 204),
    (
        "get",
        "/api/v1/timetable",
        "Lessons of the caller, or of a person, class or room (query: person, class, room + structure; week, or from and to)",
        "",
        200,
    ),
    ("get", "/api/v1/structures/{id}/courses", "The courses of a structure (its timetable managers)", "", 200),
    (
        "post",
        "/api/v1/structures/{id}/courses",
        "Add a course: {subject, teachers, groups, room, weekday 1-6, start, end, weeks: every|A|B|36,38-40, from, to}",
        "",
        201,
    ),
    (
        "post",
        "/api/v1/structures/{id}/timetable/import",
        "Import a timetable CSV or iCalendar file (body, or ?url= where it is published, kept for a nightly import once applied; ?dry_run=true; ?class= for an iCalendar file of one class): every line checked first, then only the difference with the previous import applied; the report (422 with errors per line, nothing applied)",
        "",
        200,
    ),
    (
        "get",
        "/api/v1/structures/{id}/timetable/source",
        "The address the timetable is imported from every night: {url, class, saved_by, saved_at, last_run, last_report, last_error} (404: none)",
        "",
        200,
    ),
    ("delete", "/api/v1/structures/{id}/timetable/source", "Stop importing the timetable from its published address", "", 204),
    (
        "get",
        "/api/v1/structures/{id}/calendar",
        "The school calendar (the school's adults): {academie_zone, local: {zone, years, days_off}, years: the year under way and the next as they apply}",
        "",
        200,
    ),
    (
        "put",
        "/api/v1/structures/{id}/calendar",
        "Set what the school says of its calendar (managers): {zone: A|B|C|null, years: [{start, end, holidays: [{label, first, back}]}], days_off: [{label, first, back}]}",
        "",
        200,
    ),
    (
        "get",
        "/api/v1/structures/{id}/slots",
        "The structure's slot grid [{code, start, end}] (M1…S4; a common grid until it sets one), for its adults",
        "",
        200,
    ),
    (
        "put",
        "/api/v1/structures/{id}/slots",
        "Set the slot grid [{code, start: \"08:00\", end}] (timetable managers): codes distinct, periods in order, not overlapping",
        "",
        200,
    ),
    ("get", "/api/v1/courses/{id}", "A course, for its school's timetable managers", "", 200),
    ("put", "/api/v1/courses/{id}", "Change a course in place (same body as adding one); its lessons' changes and cahier entries stay", "", 200),
    ("delete", "/api/v1/courses/{id}", "Delete a course with its lessons' changes", "", 204),
    (
        "put",
        "/api/v1/courses/{id}/lessons/{date}",
        "Change one lesson: {cancelled, moved_date, moved_start, moved_end, replacement, room, note}; those concerned are told",
        "",
        200,
    ),
    ("delete", "/api/v1/courses/{id}/lessons/{date}", "Put a lesson back as its course says", "", 204),
    ("post", "/api/v1/me/calendar-link", "Make the caller's calendar feed address (shown once; replaces the previous)", "", 201),
    ("delete", "/api/v1/me/calendar-link", "Revoke the caller's calendar feed address", "", 204),
    ("get", "/api/v1/me/calendar-links", "The caller's feeds of a class or room: [{scope, label, created_at}]", "", 200),
    (
        "post",
        "/api/v1/me/calendar-links",
        "Make a feed address of a class {class} or room {structure, room} (the school's adults; shown once; replaces the previous one of that class or room)",
        "",
        201,
    ),
    ("delete", "/api/v1/me/calendar-links", "Revoke the caller's feed of ?scope=", "", 204),
    (
        "get",
        "/api/v1/cahier/lessons/{course}/{date}",
        "A lesson for its teachers: the lesson, its entry, the homework set in it, whether it may still be written",
        "",
        200,
    ),
    (
        "put",
        "/api/v1/cahier/lessons/{course}/{date}",
        "Write what was done in a lesson: {title, content (HTML, sanitised), attachments (document ids), publish_at}",
        "",
        200,
    ),
    ("delete", "/api/v1/cahier/lessons/{course}/{date}", "Delete a lesson's entry", "", 204),
    (
        "post",
        "/api/v1/cahier/lessons/{course}/{date}/homework",
        "Set homework in a lesson: {due, instructions, minutes, attachments, hand_in, publish_at}",
        "",
        201,
    ),
    (
        "get",
        "/api/v1/homework",
        "The published homework due for a pupil (?pupil= for a parent's child) from ?from to ?to (default: two weeks), with the pupil's own ticks",
        "",
        200,
    ),
    ("put", "/api/v1/homework/{id}", "Change homework (a teacher of the lesson it was set in)", "", 200),
    ("delete", "/api/v1/homework/{id}", "Delete homework", "", 204),
    ("put", "/api/v1/homework/{id}/done", "Tick homework done (the pupil's private tick)", "", 204),
    ("delete", "/api/v1/homework/{id}/done", "Untick homework", "", 204),
    ("get", "/api/v1/homework/{id}/attachments/{doc}", "A file attached to homework, for those who may read it", "", 200),
    (
        "put",
        "/api/v1/homework/{id}/copy",
        "Hand in the caller's copy (the body is the file; ?name=); replaces an earlier copy until it is returned; late after the deadline",
        "",
        201,
    ),
    ("get", "/api/v1/homework/{id}/copy", "A pupil's copy (?pupil= for a parent's child): file, submitted, late, returned {comment}", "", 200),
    ("get", "/api/v1/homework/{id}/copies", "Who handed in (copies with names) and who did not, for the homework's teachers", "", 200),
    ("get", "/api/v1/homework/{id}/copies.zip", "Every copy as one zip, named after its pupil (the homework's teachers)", "", 200),
    ("get", "/api/v1/copies/{id}/file", "A copy's file (its pupil, their parents, the homework's teachers)", "", 200),
    ("get", "/api/v1/copies/{id}/corrected", "The corrected file of a returned copy", "", 200),
    ("post", "/api/v1/copies/{id}/return", "Return a copy: {comment, corrected (a document of the teacher's)}; the pupil and their parents are told", "", 200),
    ("get", "/api/v1/cahier/log", "The published entries of a pupil's lessons (?pupil=, ?from, ?to), by subject then day", "", 200),
    ("get", "/api/v1/cahier/entries/{id}/attachments/{doc}", "A file attached to a lesson's entry, for those who may read it", "", 200),
    (
        "get",
        "/api/v1/classes/{id}/cahier",
        "A class's cahier de textes (?from, ?to): entries, homework due, visas; the direction's and inspectors' reads are audited",
        "",
        200,
    ),
    ("get", "/api/v1/classes/{id}/workload", "Homework due per day for a class (count, estimated minutes, subjects), for the school's adults", "", 200),
    ("post", "/api/v1/classes/{id}/visas", "The head's visa on a teacher's part of a class's cahier: {teacher, until, note}", "", 201),
    ("delete", "/api/v1/classes/{id}/visas", "Withdraw a visa given by mistake (the direction): ?teacher=&until=", "", 204),
    (
        "post",
        "/api/v1/documents/nodes/{id}/copy",
        "Copy a file or folder (with its contents) into {space, folder} as {name}; the copy is the caller's",
        "",
        201,
    ),
    ("get", "/api/v1/documents/nodes/{id}/zip", "A folder and what it holds as one ZIP archive (streamed)", "", 200),
    ("get", "/api/v1/documents/nodes/{id}/content", "Download a file (byte ranges; query: inline for an image or PDF preview)", "", 200),
    ("get", "/api/v1/documents/nodes/{id}/versions", "A file's previous versions, newest first", "", 200),
    ("get", "/api/v1/documents/nodes/{id}/versions/{version}/content", "Download a previous version", "", 200),
    ("get", "/api/v1/documents/nodes/{id}/shares", "A node's shares (its manager only)", "", 200),
    (
        "post",
        "/api/v1/documents/nodes/{id}/shares",
        "Share with targets at a level: {targets: [person:<id>, class:<group>:ELV…], level: read|contribute|manage}",
        "",
        200,
    ),
    ("delete", "/api/v1/documents/nodes/{id}/shares/{target}", "Revoke a share", "", 204),
    ("get", "/api/v1/documents/nodes/{id}/links", "A file's live public links (its manager only)", "", 200),
    (
        "post",
        "/api/v1/documents/nodes/{id}/links",
        "A public link to a file: {days: 1..90, password}; answers its url, shown once; refused to profiles the policy forbids (pupils)",
        "",
        201,
    ),
    ("delete", "/api/v1/documents/nodes/{id}/links/{link}", "Delete a public link", "", 204),
    ("get", "/api/v1/openapi.json", "This document", "", 200),
];

fn schemas() -> Value {
    let s = |props: &[&str], required: &[&str]| {
        let p: Map<String, Value> = props.iter().map(|k| ((*k).to_owned(), json!({"type": "string"}))).collect();
        json!({"type": "object", "properties": p, "required": required})
    };
    json!({
        "Login": s(&["login", "password"], &["login", "password"]),
        "StructureInput": s(&["uai", "name", "kind", "academie", "address", "postal_code", "city", "phone", "email", "parent"], &["uai", "name", "kind"]),
        "PersonInput": s(&["given_name", "family_name", "birth_date", "email", "structure", "profile"], &["given_name", "family_name", "structure", "profile"]),
        "GroupInput": s(&["structure", "kind", "code", "name"], &["structure", "kind", "code"]),
        "ServiceInput": s(&["code", "name", "kind", "url", "icon"], &["code", "name", "kind", "url"]),
        "Member": s(&["person"], &["person"]),
        "ConnectorInput": {"type": "object", "required": ["code", "name", "url", "protocol", "profiles", "purpose", "legal_basis"], "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "icon": {"type": "string"}, "url": {"type": "string"},
            "protocol": {"type": "string", "enum": ["link", "cas", "oidc", "saml"]},
            "service_urls": {"type": "array", "items": {"type": "string"}},
            "structures": {"type": "array", "items": {"type": "string", "description": "UAI"}},
            "profiles": {"type": "array", "items": {"type": "string", "description": "ELV, TUT, ENS…"}},
            "release": {"type": "array", "items": {"type": "string", "description": "attribute or attribute=released name"}},
            "subject": {"type": "string", "enum": ["login", "pairwise", "transient"]},
            "purpose": {"type": "string"}, "legal_basis": {"type": "string"}, "owner": {"type": "string", "description": "UAI of the owning school; empty: the territory"},
            "client_type": {"type": "string", "enum": ["confidential", "public"]},
            "signing_alg": {"type": "string", "enum": ["RS256", "ES256"]},
            "post_logout_uris": {"type": "array", "items": {"type": "string"}},
            "backchannel_logout_uri": {"type": "string"},
            "preapproved": {"type": "boolean", "description": "territory admins only: no consent screen"},
            "entity_id": {"type": "string", "description": "SAML: the service provider's entity ID"},
            "ent_id": {"type": "string", "description": "SAML: released as idEnt (GAR)"},
            "slo_url": {"type": "string", "description": "SAML: single logout service (SOAP binding; also where logout responses go)"},
            "sp_certificate": {"type": "string", "description": "SAML: the SP's signing certificate (base64 DER or PEM), for the logout requests it sends"}}},
        "RoleGrant": s(&["role", "person", "structure"], &["role", "person"]),
        "UpstreamInput": s(&["name", "kind", "issuer", "client_id", "client_secret", "scopes", "match_claim", "match_rule", "sso_url", "certificate"], &["name", "issuer", "match_claim", "match_rule"]),
        "SecondFactor": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}, "remember": {"type": "boolean"}}},
        "MfaPolicy": {"type": "object", "required": ["profiles"], "properties": {"profiles": {"type": "array", "items": {"type": "string", "description": "ELV, TUT, ENS…"}}}},
        "Rules": {"type": "object", "required": ["rules"], "properties": {"rules": {"type": "array", "items": {"type": "object", "required": ["from", "to"], "properties": {"from": {"type": "string", "description": "ENS (a profile of the structure), class:TUT (a profile in the same class), group:<id>"}, "to": {"type": "string"}}}}}},
        "Target": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string", "enum": ["structure", "class", "group", "person"]}, "structure": {"type": "string", "format": "uuid"}, "group": {"type": "string", "format": "uuid"}, "person": {"type": "string", "format": "uuid"}, "profile": {"type": "string", "description": "Pupil, Parent, Teacher…"}}},
        "MessageInput": {"type": "object", "properties": {
            "to": {"type": "array", "items": {"$ref": "#/components/schemas/Target"}},
            "cc": {"type": "array", "items": {"$ref": "#/components/schemas/Target"}},
            "bcc": {"type": "array", "items": {"$ref": "#/components/schemas/Target"}},
            "subject": {"type": "string", "maxLength": 200}, "body": {"type": "string", "description": "plain text"},
            "send_at": {"type": "integer", "description": "seconds since the epoch: send later"},
            "no_reply": {"type": "boolean", "description": "a broadcast nobody may answer (direction)"},
            "reply_to": {"type": "string", "format": "uuid"}, "draft": {"type": "boolean"}, "acknowledge": {"type": "boolean", "description": "carnet de liaison: ask the recipients to acknowledge"}, "draft_id": {"type": "string", "format": "uuid"}}},
        "QuietHours": {"type": "object", "required": ["start", "end", "days_off"], "properties": {"start": {"type": "integer", "description": "minute of the day, Paris time"}, "end": {"type": "integer"}, "days_off": {"type": "integer", "description": "bit 0 = Monday … bit 6 = Sunday"}}},
        "NotificationSettings": {"type": "object", "properties": {"preferences": {"type": "array", "items": {"type": "object", "required": ["kind", "live", "email"], "properties": {"kind": {"type": "string", "enum": ["message"]}, "live": {"type": "boolean"}, "email": {"type": "string", "enum": ["off", "now", "daily", "weekly"]}}}}, "quiet_hours": {"oneOf": [{"$ref": "#/components/schemas/QuietHours"}, {"type": "null"}]}}},
        "QuietBody": {"type": "object", "required": ["quiet_hours"], "properties": {"quiet_hours": {"oneOf": [{"$ref": "#/components/schemas/QuietHours"}, {"type": "null"}]}}},
        "NewsInput": {"type": "object", "required": ["structure", "title"], "properties": {"structure": {"type": "string", "format": "uuid"}, "group": {"type": "string", "format": "uuid"}, "profiles": {"type": "array", "items": {"type": "string"}}, "title": {"type": "string"}, "body": {"type": "string"}, "expires_at": {"type": "integer"}, "public": {"type": "boolean"}, "submit": {"type": "boolean"}}},
        "ReportBody": {"type": "object", "required": ["kind", "id"], "properties": {"kind": {"type": "string", "enum": ["message", "news"]}, "id": {"type": "string", "format": "uuid"}, "reason": {"type": "string"}}},
        "DecisionBody": {"type": "object", "required": ["hide"], "properties": {"hide": {"type": "boolean"}}},
        "Folder": {"type": "object", "required": ["folder"], "properties": {"folder": {"type": "string", "enum": ["inbox", "trash"]}}},
        "Bouquet": {"type": "object", "properties": {"services": {"type": "array", "items": {"type": "string", "format": "uuid"}}}, "required": ["services"]},
        "Problem": {"type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}, "errors": {"type": "array"}}}
    })
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, body, status) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter(|seg| seg.starts_with('{'))
            .map(|seg| json!({"name": seg.trim_matches(|c| c == '{' || c == '}'), "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let problem = json!({"description": "Problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        let mut op = json!({
            "summary": summary,
            "parameters": params,
            "responses": {
                status.to_string(): {"description": "Success"},
                "401": problem.clone(), "403": problem.clone(), "404": problem.clone(), "422": problem
            }
        });
        if !body.is_empty()
            && let Some(o) = op.as_object_mut()
        {
            o.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}}),
            );
        }
        let entry = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
        if let Some(e) = entry.as_object_mut() {
            e.insert((*method).to_owned(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Préau API", "version": env!("CARGO_PKG_VERSION"), "description": "The JSON API of Préau. Authenticate with `Authorization: Bearer preau_…` (an API key issued by a territory admin) or with the session cookie plus `X-CSRF-Token` on writes."},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}, "session": {"type": "apiKey", "in": "cookie", "name": "preau_session"}}
        },
        "security": [{"apiKey": []}, {"session": []}],
        "paths": paths
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
