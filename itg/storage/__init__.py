"""The only package that knows SQL: schema, migrations, engines, the queue and repositories."""
