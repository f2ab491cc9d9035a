"""Pure rules of the records (SPEC 2): no I/O, so services and tests can share them freely."""
