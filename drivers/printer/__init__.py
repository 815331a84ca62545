"""The receipt printer seam: receipt layout (columns, CJK width) and ESC/POS output.

Transports (USB, serial, network, /dev/usb/lp*), status (DLE EOT) and printerd come with the
rest of issue 4; the layout and the bytes are fixed here and pinned by golden files.
"""
