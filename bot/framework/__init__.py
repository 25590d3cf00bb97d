"""Declared commands, their parsing, permission checks and error replies: the router's package."""
