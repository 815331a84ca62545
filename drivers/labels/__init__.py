"""Barcode labels (shelf and product labels: name, price, barcode).

``layout`` says what goes on a label; ``tspl`` turns it into TSPL for a label printer and
``escpos_label`` into ESC/POS for the receipt printer; ``transport`` opens the label printer
(USB, network port 9100, or the simulated one in ``simulated``). printerd prints label jobs.
"""
