"""The Matrix adapter: login, the sync loop, event normalization and the one place that sends."""
