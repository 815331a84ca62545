"""Indicators beside the till, all through gpiozero with an explicit pin factory
(drivers/gpio.py): the status LED (status_light), the buzzer (buzzer), the reprint button
(button) and the door counter (door_counter)."""
