"""The read side: what a client learns about its processes (SPEC 1.5–1.7, 5).

- `visibility`: the one rule deciding whether a finished process is readable, expired (410)
  or gone (404); the monitor, the list and the purge all take it from there.
- `queries`: the reads behind every body (requests joined to their windows, error rows).
- `shapes`: the JSON pieces the bodies share (`progress`, error entries).
- `report`: `GET /process?subunique=`, and the cache of finished bodies.
- `window`: `GET /process?unique=`, streamed from storage in batches.
- `listing`: `GET /processes` and the dashboard's pages.
"""
