"""Adapters: one interface per external system, a real client and an embedded local one each."""
