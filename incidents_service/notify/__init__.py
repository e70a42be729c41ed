"""Delivery of notifications (SPEC 14): the dispatcher that relays the outbox, and its HTTP client."""
