"""Core's side of printing: the durable print/drawer queue and the documents it hands out."""

from .queue import PrintQueue

__all__ = ["PrintQueue"]
