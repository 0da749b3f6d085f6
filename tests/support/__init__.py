"""Test support: real server processes, real databases, real Redis/Valkey; no mocks."""
