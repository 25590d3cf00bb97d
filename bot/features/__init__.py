"""The bot's features, each one declared thing built from the shared platform: the list is in
`bot/features/core.py`, and each module here builds one (`bot/framework/feature.py`)."""
