"""Replacing a box (docs/replacing-a-box.md).

* :mod:`.journal_file`: the device journal file head office writes (``tillbox headoffice
  export-device``): one header line naming store, device and head, then the records as
  ``tillbox ledger export`` writes them.
* :mod:`.rebuild`: ``tillbox ledger import FILE``: a new box with an EMPTY ledger takes over
  the same device's journal verbatim (same seq, id, ts and hash) and continues its chain.
* :mod:`.relink`: ``tillbox ledger relink --new-device ID``: the box continues under a new
  device id whose first record, ``device.linked``, names the old device's last record.
"""

LINK_TYPE = "device.linked"
#: ledger.db meta key: the first seq this file's device wrote itself (after a relink); the
#: records below it are its predecessor's and are never sent to head office again.
FIRST_SEQ_KEY = "first_seq"
