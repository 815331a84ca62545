"""The Flask web UI and the /api/v1 JSON API served by core."""
