-- Each structure's slot grid (M1…M5, S1…S4 with their times), as a JSON list; none: the default.
CREATE TABLE tt_slot_grids (
    structure_id TEXT PRIMARY KEY,
    slots TEXT NOT NULL
);
