"""Training machinery shared by every model family (``steg train ...``)."""
