"""Turning results into Matrix message content, worded in the language of the room it goes to."""
