"""What an operator watches: metrics (low on the road, so that services may count), and the
HTTP listener and log set-up (at the top, beside bot/app.py)."""
