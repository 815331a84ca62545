"""The cash drawer: a kick through the printer's drawer connector (kick) or a GPIO relay
(relay), the open/closed sensor (sensor) and the open-too-long logic (watch).

A drawer kick is a cash-control event: it is never repeated automatically.
"""
