"""The box's processes: one module per daemon, each a small main loop (ARCHITECTURE section 2)."""
