"""Chat command handlers, one module per group. Each handler is thin: arguments in, a service
call, outcomes out. Groups are constructed and added to the router in `bot.app`."""
