"""The USB 4G modem for text messages (issue 10 point 5; docs/hardware.md): AT commands over
pyserial, text mode and PDU mode (UCS-2 for Chinese), delivery reports. A real backend (a
serial port) and a simulated one (a virtual modem answering on a pty pair) picked by
``modem.backend``.
"""
