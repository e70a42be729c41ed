"""End-to-end tests: real `incidents-service` processes (several at once, killed, signalled) and external
binaries (grpcurl, buf, openssl, prometheus-alertmanager). Every test here is marked e2e."""
