"""What an operator watches: the counters any layer may count (metrics), the /health and
/metrics listener, and the log set-up. It reads the stores and settings; the sync loop's state is
handed to the listener, so it knows nothing of Matrix."""
