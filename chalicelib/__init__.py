"""Insight's domain: contracts, services and AWS adapters shared by the Chalice app and functions/."""
