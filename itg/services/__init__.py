"""One module per route: record rules (parse, then apply against the chunk's view) and their
OpenAPI doc, each module ending with one `Service` value (see base.py, registry.py)."""
