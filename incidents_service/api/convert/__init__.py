"""The conversion between wire messages and domain objects: `decode` (requests in, with their validation),
`encode` (answers out) and `enums` (the tables both use)."""
