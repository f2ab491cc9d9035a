"""One module per route: record rules (validate) and their effect (apply), chunk by chunk."""
