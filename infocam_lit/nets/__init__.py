"""Networks, one file per architecture."""
