"""The head-office link: the MQTT contract (ARCHITECTURE section 6) and the uplink's state."""
