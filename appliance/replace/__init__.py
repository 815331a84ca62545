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
#: ledger.db meta key: the head seq ``tillbox ledger import`` brought in; core sets uplinkd's
#: cursor to it at its start when the import could not after its COMMIT (catch_up_cursor).
IMPORTED_HEAD_KEY = "imported_head_seq"


def catch_up_cursor(cfg, ledger_path) -> int | None:
    """At core's start: an import whose cursor update failed after the COMMIT leaves uplinkd's
    cursor below the imported head (uplinkd would send head office its own records again);
    set it now. Returns the seq set, or None. Light: core imports this at every start."""
    import logging
    from ..ledger import open_readonly
    from ..uplink.state import UplinkState
    conn = open_readonly(ledger_path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?",
                           (IMPORTED_HEAD_KEY,)).fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    seq = int(row[0])
    try:
        state = UplinkState(cfg.uplink_dir)
        was = state.acked_seq
        if was >= seq:
            return None
        state.set_acked(seq)
    except OSError as exc:      # core starts all the same (logged)
        logging.getLogger(__name__).error("uplinkd's cursor cannot be set to the imported "
                                          "head seq %d: %s", seq, exc)
        return None
    logging.getLogger(__name__).warning(
        "uplinkd's cursor was at seq %d after the import of head office's journal: set to "
        "the imported head seq %d", was, seq)
    return seq
