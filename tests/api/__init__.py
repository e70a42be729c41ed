"""API tests: an in-process server on a real channel (gRPC; HTTP for Connect, the intake and /metrics),
on both databases."""
