"""What several test files share: log parsing, gRPC error helpers, calling walks over pages."""
