"""HTTP only: the app factory, authentication, routes and the one place errors become JSON."""
